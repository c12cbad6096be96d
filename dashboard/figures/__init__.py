"""Figure builders: DataFrames and results objects in, plotly Figures out.

No dash imports, so notebooks and the PDF board pack use the same charts. One module per
chart family. Every builder takes ``board=False``; with ``board=True`` it uses presentation
scale and prints the numbers on the chart instead of leaving them in hover text.
"""
