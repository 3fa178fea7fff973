"""The assessment's SQL for another engine: DuckDB statements transpiled by SQLGlot.

The metric files and the checks' SQL stay the one definition, written for DuckDB. For Apache
Spark each statement is parsed as DuckDB SQL, its macros (`assess/macros.sql` and the generated
`aa_ai_app_name`) are expanded in place, since Spark has no macros, and the tree is written as
Spark SQL. A construct SQLGlot cannot write for Spark raises `TranspileError` naming the
statement, so a new metric that does not transpile fails its test instead of a client's run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from agentaudit.errors import AgentAuditError

_MACRO = re.compile(
    r"CREATE OR REPLACE (?:TEMP )?MACRO (\w+)\(([^)]*)\) AS\s+(.*?);\s*$", re.DOTALL | re.MULTILINE
)


class TranspileError(AgentAuditError):
    """A statement that SQLGlot cannot write in the target dialect."""

    exit_code = 2


@dataclass(frozen=True)
class Macro:
    """A DuckDB scalar macro: its parameters and its body, as a parsed expression."""

    name: str
    params: tuple[str, ...]
    body: object  # sqlglot.exp.Expression


def parse_macros(text: str) -> dict[str, Macro]:
    """The scalar macros a SQL text defines (`CREATE OR REPLACE [TEMP] MACRO f(a, b) AS …;`)."""
    import sqlglot  # noqa: PLC0415  (an optional dependency: agentaudit[spark])

    found = {}
    body_text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    for m in _MACRO.finditer(body_text):
        params = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
        body = sqlglot.parse_one(m.group(3), read="duckdb")
        found[m.group(1).lower()] = Macro(m.group(1).lower(), params, body)
    return found


def expand(tree: object, macros: dict[str, Macro]) -> object:
    """The tree with every call of a macro replaced by the macro's body, its parameters bound
    to the call's arguments (macros calling macros are expanded too)."""
    from sqlglot import exp  # noqa: PLC0415

    def call(node: exp.Expression) -> exp.Expression:
        name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
        macro = macros.get(name)
        if macro is None:
            return node
        args = dict(zip(macro.params, node.expressions, strict=True))

        def bind(inner: exp.Expression) -> exp.Expression:
            if isinstance(inner, exp.Column) and not inner.table and inner.name in args:
                return args[inner.name].copy()
            return inner

        body = macro.body.copy().transform(bind)  # type: ignore[attr-defined]
        body = expand(body, macros)
        return exp.Paren(this=body) if not isinstance(body, exp.Paren | exp.Subquery) else body

    return tree.transform(call)  # type: ignore[attr-defined]


def _known(node: object) -> object:
    """DuckDB functions SQLGlot parses only by name, as the expression it knows."""
    from sqlglot import exp  # noqa: PLC0415

    if isinstance(node, exp.Anonymous) and node.name.lower() == "regexp_split_to_array":
        return exp.RegexpSplit(this=node.expressions[0], expression=node.expressions[1])
    return node


def _for_spark(node: object) -> object:
    """DuckDB constructs SQLGlot writes for Spark with another meaning, or not at all, written
    as Spark means the same:

    - `to_days(n)`: no such Spark function; `INTERVAL 1 DAY * n`.
    - `date_diff(unit, a, b)` counts unit boundaries in DuckDB; Spark's `datediff(unit, …)`
      counts whole units elapsed. Days: `datediff` of the two dates; seconds, minutes, hours:
      the difference of the truncated epoch seconds.
    - `regexp_matches(s, p, 'i')`: Spark's RLIKE has no flags argument (SQLGlot drops it);
      the pattern gains `(?i)`.
    - `list(x ORDER BY k)`: Spark's `collect_list` has no order; the list is sorted after
      (`array_sort`, by the value, or by the keys then the value through a struct).
    - `list(…)` over no rows is NULL in DuckDB, an empty array in Spark: NULL for both.
    - `string_agg(x, sep ORDER BY k)`: that sorted list, joined.
    - `n / 3600.0`: DuckDB divides as DOUBLE, Spark by a decimal literal as DECIMAL; the
      literal is cast to DOUBLE.
    - JSON: Spark has no JSON type. JSON stays text (`get_json_object` reads it), and a JSON
      array becomes `from_json(text, 'array<string>')`, each element its JSON text."""
    from sqlglot import exp  # noqa: PLC0415

    def from_json(text: exp.Expression) -> exp.Expression:
        return exp.Anonymous(
            this="FROM_JSON", expressions=[text, exp.Literal.string("array<string>")]
        )

    ordered = _ordered_list(node)
    if ordered is not None:
        return _null_if_empty(ordered)
    if (isinstance(node, exp.ArrayAgg) and not isinstance(node.parent, exp.Filter)) or (
        isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg)
    ):
        return _null_if_empty(node.copy())
    if isinstance(node, exp.GroupConcat) and isinstance(node.this, exp.Order):
        # string_agg(x, sep ORDER BY k): the sorted list joined (Spark's LISTAGG DISTINCT …
        # WITHIN GROUP fails at run time); NULL when every value is NULL, as in DuckDB
        items = _ordered_list(exp.ArrayAgg(this=node.this.copy()))
        sep = node.args.get("separator") or exp.Literal.string(",")
        joined = exp.ArrayToString(this=items, expression=sep.copy())
        return exp.Nullif(this=joined, expression=exp.Literal.string(""))
    if isinstance(node, exp.Div):
        # DuckDB divides as DOUBLE; Spark divides by a decimal literal in DECIMAL, rounding
        # to its scale. The literal becomes a DOUBLE, so the quotient is computed as DuckDB's.
        for side in ("this", "expression"):
            operand = node.args.get(side)
            if isinstance(operand, exp.Literal) and not operand.is_string and "." in operand.this:
                node.set(side, exp.Cast(this=operand.copy(), to=exp.DataType.build("DOUBLE")))
        return node
    if isinstance(node, exp.ToDays):
        return exp.Mul(
            this=exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="DAY")),
            expression=exp.Paren(this=node.this),
        )
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.RegexpLike) and node.args.get("flag") is not None:
        flag = node.args["flag"]
        if not (isinstance(flag, exp.Literal) and flag.this == "i"):
            raise TranspileError(f"regular expression flag other than 'i': {node.sql('duckdb')}")
        pattern = node.expression
        if isinstance(pattern, exp.Literal):
            pattern = exp.Literal.string("(?i)" + pattern.this)
        else:
            pattern = exp.Paren(
                this=exp.DPipe(this=exp.Literal.string("(?i)"), expression=pattern.copy())
            )
        return exp.RegexpLike(this=node.this.copy(), expression=pattern)
    if isinstance(node, exp.RegexpReplace):
        mods = node.args.get("modifiers")
        if not (isinstance(mods, exp.Literal) and mods.this == "g"):
            # DuckDB replaces the first match unless 'g'; Spark replaces every match
            raise TranspileError(f"regexp_replace without 'g' does not transpile: {node.sql()}")
    if isinstance(node, exp.Cast):
        to = node.to
        if to.is_type(exp.DataType.Type.JSON):
            return node.this
        if to.is_type(exp.DataType.Type.ARRAY) and to.expressions:
            element = to.expressions[0]
            if element.is_type(exp.DataType.Type.JSON):
                return from_json(node.this)
            if isinstance(node.this, exp.ParseJSON):
                return from_json(node.this.this)
    if isinstance(node, exp.ParseJSON):
        parent = node.parent
        if isinstance(parent, exp.Cast) and parent.to.is_type(exp.DataType.Type.ARRAY):
            return node  # the cast around it reads the text as a JSON array
        return node.this
    return node


def _null_if_empty(items: object) -> object:
    """A list aggregate over no rows (or no row passing its FILTER) is NULL in DuckDB and an
    empty array in Spark: NULL for both."""
    from sqlglot import exp  # noqa: PLC0415

    size = exp.ArraySize(this=items.copy())  # type: ignore[attr-defined]
    return exp.If(
        this=exp.GT(this=size, expression=exp.Literal.number(0)), true=items, false=exp.Null()
    )


def _bottom_up(tree: object, rewrite: object) -> object:
    """`rewrite` applied to every node, children before their parent, so that what a rewrite
    copies into its result is already rewritten (SQLGlot's `transform` goes top-down and does
    not visit inside a replaced node)."""
    nodes = list(tree.walk())  # type: ignore[attr-defined]  # parents before children
    for node in reversed(nodes):
        new = rewrite(node)  # type: ignore[operator]
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _date_diff(node: object) -> object:
    """DuckDB's `date_diff(unit, a, b)` (unit boundaries between a and b) for Spark."""
    from sqlglot import exp  # noqa: PLC0415

    unit = node.unit.name.lower() if node.unit else "day"  # type: ignore[attr-defined]
    end, start = node.this, node.expression  # type: ignore[attr-defined]
    if unit == "day":
        return exp.DateDiff(
            this=exp.Cast(this=end.copy(), to=exp.DataType.build("DATE")),
            expression=exp.Cast(this=start.copy(), to=exp.DataType.build("DATE")),
        )
    seconds = {"second": 1, "minute": 60, "hour": 3600}.get(unit)
    if seconds is None:
        raise TranspileError(f"date_diff by {unit!r} does not transpile: {node.sql('duckdb')}")  # type: ignore[attr-defined]

    def ticks(ts: exp.Expression) -> exp.Expression:
        epoch = exp.Anonymous(this="UNIX_SECONDS", expressions=[ts.copy()])
        if seconds == 1:
            return epoch
        return exp.Floor(this=exp.Div(this=epoch, expression=exp.Literal.number(seconds)))

    return exp.Paren(this=exp.Sub(this=ticks(end), expression=ticks(start)))


def _ordered_list(node: object) -> object | None:
    """`list(x ORDER BY k…)` (optionally FILTERed) as a sorted `collect_list`, or None when
    the node is no ordered list aggregate."""
    import sqlglot  # noqa: PLC0415
    from sqlglot import exp  # noqa: PLC0415

    where = None
    agg = node
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
        agg, where = node.this, node.expression
    elif isinstance(node, exp.ArrayAgg) and isinstance(node.parent, exp.Filter):
        return None  # the FILTER around it is rewritten with it
    if not isinstance(agg, exp.ArrayAgg) or not isinstance(agg.this, exp.Order):
        return None
    value, keys = agg.this.this, agg.this.expressions
    if any(k.args.get("desc") or k.args.get("nulls_first") for k in keys):
        raise TranspileError(f"descending list order does not transpile: {agg.sql('duckdb')}")
    distinct = isinstance(value, exp.Distinct)
    element = value.expressions[0] if distinct else value

    def collect(this: exp.Expression) -> exp.Expression:
        out = exp.ArrayAgg(this=this)
        return exp.Filter(this=out, expression=where.copy()) if where is not None else out

    if len(keys) == 1 and keys[0].this == element:
        return exp.ArraySort(this=collect(value.copy()))
    if distinct:
        raise TranspileError(f"DISTINCT list ordered by another key: {agg.sql('duckdb')}")
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.this.copy())
        for i, k in enumerate(keys)
    ]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=element.copy()))
    sort = sqlglot.parse_one("TRANSFORM(ARRAY_SORT(x), s -> s.v)", read="spark")
    sort.find(exp.Column).replace(collect(exp.Struct(expressions=fields)))
    return sort


def to_spark(sql: str, macros: dict[str, Macro] | None = None, *, what: str = "") -> str:
    """One DuckDB statement as Spark SQL, macros expanded; `TranspileError` when SQLGlot cannot
    write a construct for Spark, or when a function is left that SQLGlot knows only by name
    (it would pass through unchanged, and Spark may lack it or mean something else)."""
    import sqlglot  # noqa: PLC0415
    from sqlglot import exp  # noqa: PLC0415
    from sqlglot.errors import ErrorLevel, SqlglotError  # noqa: PLC0415

    label = what or "statement"
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        if macros:
            tree = expand(tree, macros)
        tree = tree.transform(_known)
        unknown = sorted({a.name for a in tree.find_all(exp.Anonymous)})
        if unknown:
            raise TranspileError(
                f"{label}: function(s) {', '.join(unknown)} unknown to SQLGlot: write them in a "
                "portable form or teach agentaudit.transpile to rewrite them"
            )
        tree = _bottom_up(tree, _for_spark)
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as e:
        raise TranspileError(f"{label}: does not transpile to Spark SQL: {e}") from e


@cache
def sqlglot_version() -> str:
    import sqlglot  # noqa: PLC0415

    return sqlglot.__version__
