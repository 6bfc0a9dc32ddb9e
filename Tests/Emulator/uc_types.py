"""Databricks SQL column types for the Unity Catalog stub: parsing, UC JSON and Arrow mapping.

A table is declared as `cat.sch.tbl=col:type,col:type NOT NULL,...` where a type is a
Databricks SQL type text: `bigint`, `string`, `array<int>`, `map<string,bigint>`,
`struct<a:int,b:array<string>>`, `decimal(10,2)`, ... Commas inside `<>`/`()` belong to the type.
"""

import json
from dataclasses import dataclass, field

# Databricks type text → (UC `type_name`, Spark JSON type name).
PRIMITIVES = {
    "boolean": ("BOOLEAN", "boolean"),
    "tinyint": ("BYTE", "byte"), "byte": ("BYTE", "byte"),
    "smallint": ("SHORT", "short"), "short": ("SHORT", "short"),
    "int": ("INT", "integer"), "integer": ("INT", "integer"),
    "bigint": ("LONG", "long"), "long": ("LONG", "long"),
    "float": ("FLOAT", "float"), "real": ("FLOAT", "float"),
    "double": ("DOUBLE", "double"),
    "string": ("STRING", "string"),
    "binary": ("BINARY", "binary"),
    "date": ("DATE", "date"),
    "timestamp": ("TIMESTAMP", "timestamp"),
    "timestamp_ntz": ("TIMESTAMP_NTZ", "timestamp_ntz"),
    "variant": ("VARIANT", "variant"),
}
CANONICAL = {"byte": "tinyint", "short": "smallint", "integer": "int", "long": "bigint", "real": "float"}


@dataclass
class SqlType:
    kind: str                      # a PRIMITIVES key, or "decimal", "interval", "array", "map", "struct"
    args: list = field(default_factory=list)  # decimal: [p, s]; interval: [qualifier]; array: [T]; map: [K, V]; struct: [Column]

    @property
    def type_name(self) -> str:
        if self.kind in PRIMITIVES:
            return PRIMITIVES[self.kind][0]
        return self.kind.upper()

    @property
    def text(self) -> str:
        if self.kind in PRIMITIVES:
            return CANONICAL.get(self.kind, self.kind)
        if self.kind == "decimal":
            return f"decimal({self.args[0]},{self.args[1]})"
        if self.kind == "interval":
            return f"interval {self.args[0]}"
        if self.kind == "struct":
            return "struct<" + ",".join(f"{c.name}:{c.type.text}{'' if c.nullable else ' not null'}"
                                        for c in self.args) + ">"
        return f"{self.kind}<" + ",".join(a.text for a in self.args) + ">"

    def spark_json(self):
        if self.kind in PRIMITIVES:
            return PRIMITIVES[self.kind][1]
        if self.kind in ("decimal", "interval"):
            return self.text
        if self.kind == "array":
            return {"type": "array", "elementType": self.args[0].spark_json(), "containsNull": True}
        if self.kind == "map":
            return {"type": "map", "keyType": self.args[0].spark_json(),
                    "valueType": self.args[1].spark_json(), "valueContainsNull": True}
        return {"type": "struct", "fields": [c.spark_field() for c in self.args]}

    def arrow(self):
        import pyarrow as pa
        simple = {
            "boolean": pa.bool_(), "tinyint": pa.int8(), "byte": pa.int8(), "smallint": pa.int16(),
            "short": pa.int16(), "int": pa.int32(), "integer": pa.int32(), "bigint": pa.int64(),
            "long": pa.int64(), "float": pa.float32(), "real": pa.float32(), "double": pa.float64(),
            "string": pa.string(), "binary": pa.binary(), "date": pa.date32(),
            "timestamp": pa.timestamp("us", tz="UTC"), "timestamp_ntz": pa.timestamp("us"),
            "variant": pa.string(),
        }
        if self.kind in simple:
            return simple[self.kind]
        if self.kind == "decimal":
            return pa.decimal128(self.args[0], self.args[1])
        if self.kind == "interval":
            return pa.month_day_nano_interval()
        if self.kind == "array":
            return pa.list_(self.args[0].arrow())
        if self.kind == "map":
            return pa.map_(self.args[0].arrow(), self.args[1].arrow())
        return pa.struct([pa.field(c.name, c.type.arrow(), nullable=c.nullable) for c in self.args])


@dataclass
class Column:
    name: str
    type: SqlType
    nullable: bool = True

    def spark_field(self) -> dict:
        return {"name": self.name, "type": self.type.spark_json(), "nullable": self.nullable, "metadata": {}}


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Splits on `sep` outside `<>` and `()`."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced brackets in {text!r}")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise ValueError(f"unbalanced brackets in {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_type(text: str) -> SqlType:
    t = text.strip()
    low = t.lower()
    if low in PRIMITIVES:
        return SqlType(low)
    if low.startswith("decimal"):
        inner = low[len("decimal"):].strip()
        if not inner:
            return SqlType("decimal", [10, 0])
        if not (inner.startswith("(") and inner.endswith(")")):
            raise ValueError(f"bad decimal type {text!r}")
        nums = [int(n) for n in inner[1:-1].split(",")]
        return SqlType("decimal", [nums[0], nums[1] if len(nums) > 1 else 0])
    if low.startswith("interval "):
        # `interval day to second`, `interval year to month`, ...: kept as text (no Zerobus mapping).
        return SqlType("interval", [" ".join(low.split()[1:])])
    for kind in ("array", "map", "struct"):
        if low.startswith(kind + "<") and low.endswith(">"):
            inner = t[len(kind) + 1:-1]
            if kind == "array":
                return SqlType("array", [parse_type(inner)])
            if kind == "map":
                kv = split_top_level(inner)
                if len(kv) != 2:
                    raise ValueError(f"map needs key and value types: {text!r}")
                return SqlType("map", [parse_type(kv[0]), parse_type(kv[1])])
            return SqlType("struct", [parse_column(f, struct_field=True) for f in split_top_level(inner)])
    raise ValueError(f"unknown column type {text!r}")


def parse_column(spec: str, struct_field: bool = False) -> Column:
    """`name:type` (also `name type` inside struct<>), optionally followed by `NOT NULL`."""
    spec = spec.strip()
    nullable = True
    if spec.lower().endswith(" not null"):
        nullable, spec = False, spec[: -len(" not null")].rstrip()
    if ":" in spec.split("<")[0]:
        name, type_text = spec.split(":", 1)
    elif struct_field and " " in spec:
        name, type_text = spec.split(" ", 1)
    else:
        raise ValueError(f"column must be name:type, got {spec!r}")
    name = name.strip()
    if not name:
        raise ValueError(f"empty column name in {spec!r}")
    return Column(name, parse_type(type_text), nullable)


def parse_table_spec(spec: str) -> tuple[str, list[Column]]:
    """`cat.sch.tbl=col:type,...` → (full name, columns)."""
    if "=" not in spec:
        raise ValueError(f"--uc-table needs cat.sch.tbl=col:type,..., got {spec!r}")
    name, cols = spec.split("=", 1)
    name = name.strip()
    if len(name.split(".")) != 3 or not all(name.split(".")):
        raise ValueError(f"table name must be catalog.schema.table, got {name!r}")
    columns = [parse_column(c) for c in split_top_level(cols) if c]
    if not columns:
        raise ValueError(f"table {name} has no columns")
    return name, columns


def table_json(full_name: str, columns: list[Column]) -> dict:
    """The subset of the UC `GET /api/2.1/unity-catalog/tables/{name}` response a client needs."""
    catalog, schema, table = full_name.split(".")
    return {
        "name": table, "catalog_name": catalog, "schema_name": schema, "full_name": full_name,
        "table_type": "MANAGED", "data_source_format": "DELTA",
        "columns": [
            {"name": c.name, "type_text": c.type.text, "type_name": c.type.type_name,
             "type_json": json.dumps(c.spark_field()), "nullable": c.nullable, "position": i,
             # Like the real API: precision/scale are set for decimals and 0 otherwise.
             "type_precision": c.type.args[0] if c.type.kind == "decimal" else 0,
             "type_scale": c.type.args[1] if c.type.kind == "decimal" else 0}
            for i, c in enumerate(columns)
        ],
    }


def arrow_schema(columns: list[Column]):
    import pyarrow as pa
    return pa.schema([pa.field(c.name, c.type.arrow(), nullable=c.nullable) for c in columns])
