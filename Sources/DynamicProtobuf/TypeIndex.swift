import SwiftProtobuf

/// Every message and enum of some descriptors, by fully qualified name (no leading dot), with
/// protobuf's scope rules for resolving `type_name`s.
struct TypeIndex {
    enum Entry {
        case message(Google_Protobuf_DescriptorProto)
        case enumeration(Google_Protobuf_EnumDescriptorProto)
    }

    private(set) var entries: [String: Entry] = [:]

    /// Indexes `message` and everything nested in it; `scope` is the package (or enclosing
    /// message) full name, "" for none.
    mutating func add(message: Google_Protobuf_DescriptorProto, scope: String) {
        let fullName = qualified(message.name, in: scope)
        entries[fullName] = .message(message)
        for nested in message.nestedType { add(message: nested, scope: fullName) }
        for enumeration in message.enumType { add(enumeration: enumeration, scope: fullName) }
    }

    mutating func add(enumeration: Google_Protobuf_EnumDescriptorProto, scope: String) {
        entries[qualified(enumeration.name, in: scope)] = .enumeration(enumeration)
    }

    mutating func add(file: Google_Protobuf_FileDescriptorProto) {
        for message in file.messageType { add(message: message, scope: file.package) }
        for enumeration in file.enumType { add(enumeration: enumeration, scope: file.package) }
    }

    subscript(fullName: String) -> Entry? { entries[fullName] }

    /// Full name (no leading dot) that `typeName` refers to when written inside `scope`:
    /// `.a.B` is absolute; `B` or `x.B` is looked up in `scope`, then each enclosing scope.
    func resolve(_ typeName: String, from scope: String) -> String? {
        if typeName.hasPrefix(".") {
            let absolute = String(typeName.dropFirst())
            return entries[absolute] == nil ? nil : absolute
        }
        var components = scope.split(separator: ".").map(String.init)
        while true {
            let candidate = (components + [typeName]).joined(separator: ".")
            if entries[candidate] != nil { return candidate }
            if components.isEmpty { return nil }
            components.removeLast()
        }
    }
}

func qualified(_ name: String, in scope: String) -> String {
    scope.isEmpty ? name : "\(scope).\(name)"
}

/// `pkg.Msg.Inner` → `Inner`.
func shortName(_ fullName: String) -> String {
    fullName.split(separator: ".").last.map(String.init) ?? fullName
}
