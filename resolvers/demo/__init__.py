"""The demo data set, all in one place: the model stations and generated stations across Iraq
(`stations`), officers and ninety days of field work (`fieldwork`), and seeding an empty database with
them (`seeding`, used by `markaz serve --demo` and `markaz seed --demo`). The bulk writes it needs are in
db/demo_fieldwork.py, with every other SQL statement."""
