"""`hr_roster.csv`: the client's employees, the humans every owner is checked against."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader

COLUMNS = (
    "employee_id",
    "email",
    "display_name",
    "department",
    "status",
    "hire_date",
    "termination_date",
    "manager_email",
)
REQUIRED = ("email", "status")
STATUSES = ("active", "terminated", "leave")


def detect(sample: Sample) -> bool:
    header = set(sample.header or [])
    named = sample.path.name.lower().startswith("hr_roster")
    return named or ({"employee_id", "email"} <= header and "kind" not in header)


MAPPING = f"""
    employee_id, lower(email) AS email, display_name, department,
    lower(status) AS status,
    TRY_CAST(aa_ts(hire_date) AS DATE) AS hire_date,
    TRY_CAST(aa_ts(termination_date) AS DATE) AS termination_date,
    lower(manager_email) AS manager_email,
    CASE WHEN email IS NULL THEN 'missing email'
         WHEN email NOT LIKE '%@%' THEN 'email is not an address: ' || email
         WHEN status IS NULL OR lower(status) NOT IN {STATUSES}
              THEN 'status must be active, terminated or leave, got '
                   || coalesce(status, 'nothing')
         WHEN hire_date IS NOT NULL AND aa_ts(hire_date) IS NULL
              THEN 'unparseable hire_date ' || hire_date
         WHEN termination_date IS NOT NULL AND aa_ts(termination_date) IS NULL
              THEN 'unparseable termination_date ' || termination_date
    END AS invalid
"""

READER = Reader(
    name="hr_roster",
    title="HR roster (hr_roster.csv)",
    target="roster",
    detect=detect,
    fields={c: (f"$.{c}",) for c in COLUMNS},
    columns_sql=MAPPING,
    required_columns=REQUIRED,
    containers=("csv",),
)
