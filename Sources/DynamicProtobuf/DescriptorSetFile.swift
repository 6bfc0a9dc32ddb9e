import SwiftProtobuf

extension MessageDescriptor {
    /// This message as a one-file `FileDescriptorSet`, the format `protoc --include_imports
    /// --descriptor_set_out` writes: what a `[[table]]` with `descriptor = …` loads (see
    /// `load(descriptorSet:messageName:)`), and what protoc-based tools can read.
    ///
    /// - Parameter fileName: the `.proto` name recorded in the set, e.g. `readings.proto`.
    public func serializedDescriptorSet(fileName: String) -> [UInt8] {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = fileName
        // `descriptorProto`'s type_names are qualified with the package, so the file must declare it.
        let package = fullName.count > name.count ? String(fullName.dropLast(name.count + 1)) : ""
        if !package.isEmpty { file.package = package }
        // proto2 is the default: protoc leaves `syntax` unset for proto2 files, and so do we.
        file.messageType = [descriptorProto]
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [file]
        // Cannot fail for a descriptor we built: no required fields left unset, no Any fields.
        return (try? set.serializedBytes()) ?? []
    }
}
