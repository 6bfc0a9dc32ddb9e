/// What the encoder needs to know about one field, with only trivially copyable members so that
/// reading a plan in the per-row loop costs no reference counting (copying `FieldDescriptor`s
/// there dominated the profile).
struct FieldPlan {
    /// Tag of one value as written (wire type of an unpacked element).
    let tag: UInt32
    let type: ProtoFieldType
    let label: FieldLabel
    let isMap: Bool
    /// Enum fields whose declared numbers must be checked (proto2 enums are closed).
    let checksEnumValues: Bool
    /// Integer range after column-type narrowing (tinyint, smallint).
    let minInteger: Int64
    let maxInteger: Int64
    /// Position in the owner's `fields`; error messages look names up there (cold path).
    let position: Int
    /// The nested message or map entry. `unowned(unsafe)` is sound: the plan is stored in the
    /// same `MessageDescriptor` whose `fields[position].message` holds this descriptor strongly,
    /// and plans are only read while that owner is alive (during its own encode call).
    unowned(unsafe) let message: MessageDescriptor?

    init(_ field: FieldDescriptor, position: Int) {
        tag = UInt32(truncatingIfNeeded: field.number) << 3 | field.type.wireType.rawValue
        type = field.type
        label = field.label
        isMap = field.isMap
        checksEnumValues = field.type == .enumeration && !field.enumValues.isEmpty
        let range = field.type.integerRange(narrowedBy: field.columnType)
        minInteger = range.lowerBound
        maxInteger = range.upperBound
        self.position = position
        message = field.message
    }
}
