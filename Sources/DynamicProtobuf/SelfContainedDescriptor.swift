import SwiftProtobuf

/// Produces the one `DescriptorProto` the Zerobus server can use on its own.
///
/// The server receives only the record message; a `type_name` pointing outside it cannot be
/// resolved (ZEROBUS_PROTOCOL.md §3 step 3). So every message or enum the record uses that is
/// defined elsewhere in the descriptor set (a sibling top-level message, a type nested in another
/// message, a type from an imported file) is copied in as a nested type, and every `type_name` is
/// rewritten to its fully qualified name inside the record message.
struct SelfContainedDescriptorBuilder {
    let index: TypeIndex
    /// Full name (no leading dot) of the record message.
    let rootFullName: String

    /// Outside types copied into the root: old full name → new full name, in discovery order.
    private var inlined: [(old: String, new: String)] = []
    private var nestedNames = Set<String>()

    init(index: TypeIndex, rootFullName: String) {
        self.index = index
        self.rootFullName = rootFullName
    }

    mutating func build() throws(DescriptorError) -> Google_Protobuf_DescriptorProto {
        guard case .message(let root)? = index[rootFullName] else {
            throw DescriptorError("message '\(rootFullName)' not found")
        }
        nestedNames = Set(root.nestedType.map(\.name) + root.enumType.map(\.name) + root.field.map(\.name))

        // Discover outside types: scan the root, then each type copied in (it may use more).
        try scan(root, scope: rootFullName, path: root.name)
        var scanned = 0
        while scanned < inlined.count {
            let old = inlined[scanned].old
            if case .message(let message)? = index[old] {
                try scan(message, scope: old, path: inlined[scanned].new)
            }
            scanned += 1
        }

        var result = rewritten(root, scope: rootFullName)
        for (old, new) in inlined {
            switch index[old] {
            case .message(let message)?:
                var copy = rewritten(message, scope: old)
                copy.name = shortName(new)
                result.nestedType.append(copy)
            case .enumeration(var enumeration)?:
                enumeration.name = shortName(new)
                result.enumType.append(enumeration)
            case nil:
                break  // scan() only records names it found in the index
            }
        }
        return result
    }

    private mutating func scan(
        _ message: Google_Protobuf_DescriptorProto, scope: String, path: String
    ) throws(DescriptorError) {
        for field in message.field where field.hasTypeName || field.type == .message || field.type == .enum {
            let fieldPath = "\(path).\(field.name)"
            guard let target = index.resolve(field.typeName, from: scope) else {
                throw DescriptorError(
                    "\(fieldPath): type '\(field.typeName)' is not defined in the descriptor "
                        + "(a descriptor set needs --include_imports; a single DescriptorProto must nest every type it uses)")
            }
            if newName(for: target) == nil {
                let name = uniqueNestedName(shortName(target))
                inlined.append((old: target, new: "\(rootFullName).\(name)"))
            }
        }
        for nested in message.nestedType {
            try scan(nested, scope: qualified(nested.name, in: scope), path: "\(path).\(nested.name)")
        }
    }

    /// `message` with every `type_name` made absolute and pointing inside the root.
    private func rewritten(_ message: Google_Protobuf_DescriptorProto, scope: String) -> Google_Protobuf_DescriptorProto {
        var copy = message
        // Mutate local arrays and assign once: element-wise writes through the message's
        // copy-on-write storage would copy the whole array each time.
        var fields = copy.field
        for position in fields.indices where fields[position].hasTypeName {
            if let target = index.resolve(fields[position].typeName, from: scope), let new = newName(for: target) {
                fields[position].typeName = ".\(new)"
            }
        }
        copy.field = fields
        copy.nestedType = copy.nestedType.map { nested in
            rewritten(nested, scope: qualified(nested.name, in: scope))
        }
        return copy
    }

    /// Where `fullName` lives in the result, or nil if it is outside and not yet copied in.
    /// The longest matching prefix wins, so a type nested in a copied type moves with it.
    private func newName(for fullName: String) -> String? {
        var best: (old: String, new: String)?
        for mapping in [(old: rootFullName, new: rootFullName)] + inlined
        where fullName == mapping.old || fullName.hasPrefix(mapping.old + ".") {
            if mapping.old.count > (best?.old.count ?? -1) { best = mapping }
        }
        guard let best else { return nil }
        return best.new + fullName.dropFirst(best.old.count)
    }

    private mutating func uniqueNestedName(_ base: String) -> String {
        var candidate = base
        var counter = 2
        while nestedNames.contains(candidate) {
            candidate = "\(base)\(counter)"
            counter += 1
        }
        nestedNames.insert(candidate)
        return candidate
    }
}

extension MessageDescriptor {
    /// Loads message `messageName` from a serialized `FileDescriptorSet` (as written by
    /// `protoc --include_imports --descriptor_set_out` or Databricks' schema generator).
    ///
    /// `messageName` is a short name (`table_Orders`, must be unique in the set) or a fully
    /// qualified one (`pkg.table_Orders`, leading dot optional). Types the message uses that are
    /// defined outside it are copied in as nested types so `descriptorProto` is self-contained.
    public static func load(descriptorSet bytes: [UInt8], messageName: String) throws(DescriptorError) -> MessageDescriptor {
        let set: Google_Protobuf_FileDescriptorSet
        do {
            set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
        } catch {
            throw DescriptorError("not a serialized FileDescriptorSet: \(error)")
        }
        var index = TypeIndex()
        for file in set.file { index.add(file: file) }

        let rootFullName: String
        if messageName.contains(".") {
            rootFullName = messageName.hasPrefix(".") ? String(messageName.dropFirst()) : messageName
        } else {
            let matches = set.file.flatMap { file in
                file.messageType.filter { $0.name == messageName }.map { qualified($0.name, in: file.package) }
            }
            guard matches.count <= 1 else {
                throw DescriptorError("message name '\(messageName)' is ambiguous: \(matches.joined(separator: ", "))")
            }
            guard let match = matches.first else {
                let available = set.file.flatMap { file in file.messageType.map { qualified($0.name, in: file.package) } }
                throw DescriptorError(
                    "message '\(messageName)' not found among top-level messages [\(available.joined(separator: ", "))]")
            }
            rootFullName = match
        }
        var builder = SelfContainedDescriptorBuilder(index: index, rootFullName: rootFullName)
        let proto = try builder.build()
        let package = String(rootFullName.dropLast(proto.name.count).dropLast())
        return try MessageDescriptor(descriptorProto: proto, package: package)
    }
}
