"""Functions returning Dash components. No callbacks live here."""
