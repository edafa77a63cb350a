"""Pure chart functions, one module per topic: DataFrame in, plotly Figure out (no Streamlit, no database)."""
