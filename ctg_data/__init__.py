"""CTG dashboard core: the workbook format, reading, validation, storage, indicators, charts
and exports of a Convention Territoriale Globale — importable without Streamlit."""
