"""Decoding records with the schema a stream declared at creation.

PROTO streams send one serialized `google.protobuf.DescriptorProto` (ZEROBUS_PROTOCOL.md §3.3):
types nested in the record message travel with it, `type_name`s stay fully qualified
(`.pkg.Row.Inner`). We wrap it in a FileDescriptorProto whose package is inferred from those
names, load it into a private DescriptorPool and decode with a generated class. JSON records are
`json.loads`-ed and must be objects; if the table is declared to the UC stub, non-nullable columns
must be present.
"""

import hashlib
import json
import threading

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import DecodeError

FDP = descriptor_pb2.FieldDescriptorProto

# Well-known types a record may reference without inlining them.
WELL_KNOWN_FILES = {
    ".google.protobuf.Timestamp": "google.protobuf.timestamp_pb2",
    ".google.protobuf.Duration": "google.protobuf.duration_pb2",
    ".google.protobuf.Struct": "google.protobuf.struct_pb2",
    ".google.protobuf.Value": "google.protobuf.struct_pb2",
    ".google.protobuf.ListValue": "google.protobuf.struct_pb2",
    ".google.protobuf.Any": "google.protobuf.any_pb2",
    ".google.protobuf.Empty": "google.protobuf.empty_pb2",
}
for _w in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"):
    WELL_KNOWN_FILES[f".google.protobuf.{_w}Value"] = "google.protobuf.wrappers_pb2"


class SchemaError(ValueError):
    """The declared descriptor cannot be used (creation fails with INVALID_ARGUMENT)."""


class RecordError(ValueError):
    """One record does not decode with the declared schema (ingest fails with INVALID_ARGUMENT)."""


def _walk_fields(message: descriptor_pb2.DescriptorProto):
    for f in message.field:
        yield f
    for nested in message.nested_type:
        yield from _walk_fields(nested)


def infer_package(message: descriptor_pb2.DescriptorProto) -> str:
    """Package of the record type, from references like `.pkg.Row.Inner` to its own nested types."""
    marker = f".{message.name}."
    for f in _walk_fields(message):
        name = f.type_name
        if not name.startswith(".") or name in WELL_KNOWN_FILES:
            continue
        if marker in name:
            return name[1: name.index(marker)]
        if name.endswith(f".{message.name}"):
            return name[1: -len(message.name) - 1]
    return ""


class ProtoSchema:
    """A record message class built from one DescriptorProto."""

    def __init__(self, descriptor_bytes: bytes):
        message = descriptor_pb2.DescriptorProto()
        try:
            message.ParseFromString(descriptor_bytes)
        except DecodeError as e:
            raise SchemaError(f"descriptor_proto is not a serialized DescriptorProto: {e}") from None
        if not message.name:
            raise SchemaError("descriptor_proto has no message name")
        package = infer_package(message)
        file_proto = descriptor_pb2.FileDescriptorProto(
            name=f"zerobus_record_{hashlib.sha256(descriptor_bytes).hexdigest()[:12]}.proto",
            package=package,
            syntax="proto3" if any(f.proto3_optional for f in _walk_fields(message)) else "proto2",
        )
        file_proto.message_type.add().CopyFrom(message)
        pool = descriptor_pool.DescriptorPool()
        for module_name in sorted({WELL_KNOWN_FILES[f.type_name] for f in _walk_fields(message)
                                   if f.type_name in WELL_KNOWN_FILES}):
            module = __import__(module_name, fromlist=["DESCRIPTOR"])
            dep = descriptor_pb2.FileDescriptorProto()
            module.DESCRIPTOR.CopyToProto(dep)
            pool.Add(dep)
            file_proto.dependency.append(dep.name)
        try:
            pool.Add(file_proto)
            self.full_name = f"{package}.{message.name}" if package else message.name
            self.descriptor = pool.FindMessageTypeByName(self.full_name)
            self.message_class = message_factory.GetMessageClass(self.descriptor)
        except Exception as e:  # noqa: BLE001 - protobuf raises TypeError/KeyError/… for bad descriptors
            raise SchemaError(f"descriptor_proto for {message.name} cannot be loaded: {e}") from None

    def decode(self, raw: bytes, offset: int, index: int):
        try:
            record = self.message_class.FromString(raw)
        except DecodeError as e:
            raise RecordError(f"record {index} at offset {offset} does not decode as {self.full_name}: {e}") from None
        if not record.IsInitialized():
            missing = ", ".join(record.FindInitializationErrors())
            raise RecordError(f"record {index} at offset {offset} misses required field(s): {missing}")
        return record

    @staticmethod
    def to_json(record) -> dict:
        return json_format.MessageToDict(record, preserving_proto_field_name=True)


_schema_cache: dict[bytes, ProtoSchema] = {}
_schema_lock = threading.Lock()


def proto_schema(descriptor_bytes: bytes) -> ProtoSchema:
    """Cached by descriptor bytes: recoveries of one stream reuse the class."""
    key = hashlib.sha256(descriptor_bytes).digest()
    with _schema_lock:
        schema = _schema_cache.get(key)
    if schema is None:
        schema = ProtoSchema(descriptor_bytes)
        with _schema_lock:
            _schema_cache[key] = schema
    return schema


def decode_json(text: str, offset: int, index: int, required_columns: list[str] = ()) -> dict:
    try:
        value = json.loads(text)
    except (ValueError, TypeError) as e:
        raise RecordError(f"record {index} at offset {offset} is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise RecordError(f"record {index} at offset {offset} is not a JSON object")
    missing = [c for c in required_columns if value.get(c) is None]
    if missing:
        raise RecordError(f"record {index} at offset {offset} misses required column(s): {', '.join(missing)}")
    return value


# --- native Python values for Delta (int64 stays int, maps become key/value pairs) ----------------

def proto_arrow_type(field_descriptor, depth: int = 0):
    import pyarrow as pa
    from google.protobuf.descriptor import FieldDescriptor as FD

    if depth > 32:
        raise SchemaError("recursive message types cannot be written to Delta")
    if field_descriptor.message_type is not None and field_descriptor.message_type.GetOptions().map_entry:
        key = field_descriptor.message_type.fields_by_name["key"]
        value = field_descriptor.message_type.fields_by_name["value"]
        return pa.map_(_scalar_arrow(key, depth), _scalar_arrow(value, depth))
    scalar = _scalar_arrow(field_descriptor, depth)
    is_repeated = field_descriptor.label == FD.LABEL_REPEATED
    return pa.list_(scalar) if is_repeated else scalar


def _scalar_arrow(fd, depth):
    import pyarrow as pa
    from google.protobuf.descriptor import FieldDescriptor as FD

    if fd.type == FD.TYPE_MESSAGE:
        return message_arrow_schema(fd.message_type, depth + 1)
    return {
        FD.TYPE_DOUBLE: pa.float64(), FD.TYPE_FLOAT: pa.float32(), FD.TYPE_INT64: pa.int64(),
        FD.TYPE_UINT64: pa.int64(), FD.TYPE_INT32: pa.int32(), FD.TYPE_FIXED64: pa.int64(),
        FD.TYPE_FIXED32: pa.int64(), FD.TYPE_BOOL: pa.bool_(), FD.TYPE_STRING: pa.string(),
        FD.TYPE_BYTES: pa.binary(), FD.TYPE_UINT32: pa.int64(), FD.TYPE_ENUM: pa.string(),
        FD.TYPE_SFIXED32: pa.int32(), FD.TYPE_SFIXED64: pa.int64(), FD.TYPE_SINT32: pa.int32(),
        FD.TYPE_SINT64: pa.int64(),
    }[fd.type]


def message_arrow_schema(message_descriptor, depth: int = 0):
    import pyarrow as pa
    return pa.struct([pa.field(f.name, proto_arrow_type(f, depth)) for f in message_descriptor.fields])


def message_to_native(record) -> dict:
    from google.protobuf.descriptor import FieldDescriptor as FD

    out = {}
    for fd in record.DESCRIPTOR.fields:
        value = getattr(record, fd.name)
        is_map = fd.message_type is not None and fd.message_type.GetOptions().map_entry
        if is_map:
            value_fd = fd.message_type.fields_by_name["value"]
            out[fd.name] = [(k, _native(value_fd, v)) for k, v in value.items()]
        elif fd.label == FD.LABEL_REPEATED:
            out[fd.name] = [_native(fd, v) for v in value]
        elif fd.has_presence and not record.HasField(fd.name):
            out[fd.name] = None
        else:
            out[fd.name] = _native(fd, value)
    return out


def _native(fd, value):
    from google.protobuf.descriptor import FieldDescriptor as FD

    if fd.type == FD.TYPE_MESSAGE:
        return message_to_native(value)
    if fd.type == FD.TYPE_ENUM:
        enum_value = fd.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value else str(value)
    return value
