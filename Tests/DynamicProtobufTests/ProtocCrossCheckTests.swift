import DynamicProtobuf
import Foundation
import SwiftProtobuf
import Testing

/// Cross-check against real protobuf implementations: protoc writes the descriptor set, we encode
/// a row, and Python protobuf (upb) parses it, both with protoc's descriptors and with the one
/// self-contained DescriptorProto we would send in create_stream.
@Suite struct ProtocCrossCheckTests {
    static let commonProto = """
        syntax = "proto2";
        package common;
        message Address {
          optional string city = 1;
          message Geo { optional double lat = 1; }
          optional Geo geo = 2;
        }
        """

    static let ordersProto = """
        syntax = "proto2";
        package shop;
        import "common.proto";
        enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }
        message Customer { optional string name = 1; optional common.Address home = 2; }
        message table_Orders {
          required int64 id = 1;
          optional string note = 2;
          optional double total = 3;
          optional float weight = 4;
          optional bool gift = 5;
          optional bytes blob = 6;
          optional int32 day = 7;
          optional sint32 delta32 = 8;
          optional sint64 delta64 = 9;
          optional fixed32 f32 = 10;
          optional fixed64 f64 = 11;
          optional sfixed32 sf32 = 12;
          optional sfixed64 sf64 = 13;
          optional uint32 u32 = 14;
          optional uint64 u64 = 15;
          optional Status status = 16;
          repeated string tags = 17;
          repeated int32 counts = 18;
          message Item { optional string sku = 1; required int32 qty = 2; }
          repeated Item items = 19;
          map<string, int64> meta = 20;
          map<int32, Item> by_slot = 21;
          optional Customer customer = 22;
          optional int32 neg = 23;
          optional string absent = 24;
        }
        """

    /// Parses `row.bin` as message argv[3] of the FileDescriptorSet file argv[2], checks required
    /// fields, and prints canonical JSON plus upb's deterministic re-serialization.
    static let parseScript = """
        import json, sys
        from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
        workdir, set_name, full_name = sys.argv[1:4]
        def read(name):
            with open(f"{workdir}/{name}", "rb") as f:
                return f.read()
        pool = descriptor_pool.DescriptorPool()
        for f in descriptor_pb2.FileDescriptorSet.FromString(read(set_name)).file:
            pool.Add(f)
        msg = message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))()
        msg.ParseFromString(read("row.bin"))
        if not msg.IsInitialized():
            raise SystemExit("missing required fields: " + ", ".join(msg.FindInitializationErrors()))
        print(json.dumps({
            "json": json.dumps(json_format.MessageToDict(msg, preserving_proto_field_name=True,
                               use_integers_for_enums=True), sort_keys=True, separators=(",", ":")),
            "reserialized": msg.SerializeToString(deterministic=True).hex(),
        }))
        """

    @Test func encodedRow_isParsedByPythonProtobuf_withProtocAndWithSentDescriptor() throws {
        let workdir = try Workdir()
        defer { workdir.remove() }
        try workdir.write(Self.commonProto, to: "common.proto")
        try workdir.write(Self.ordersProto, to: "orders.proto")
        try run("/usr/bin/env", ["protoc", "--include_imports", "--descriptor_set_out=\(workdir.path("set.pb"))",
                                 "-I", workdir.url.path, workdir.path("orders.proto")])
        let descriptor = try MessageDescriptor.load(
            descriptorSet: [UInt8](Data(contentsOf: URL(fileURLWithPath: workdir.path("set.pb")))),
            messageName: "table_Orders")
        #expect(descriptor.descriptorProto.nestedType.map(\.name) == ["Item", "MetaEntry", "BySlotEntry", "Customer", "Address"])
        #expect(descriptor.descriptorProto.enumType.map(\.name) == ["Status"])

        let row: [ProtoValue?] = [
            .int(9_007_199_254_740_993), .string("gift for ü"), .double(-12.5), .float(1.25), .bool(true),
            .bytes([0, 0xFF, 0x10]), .int(19_723), .int(-3), .int(-4_000_000_000), .int(4_000_000_000),
            .int(Int64.max), .int(-7), .int(Int64.min), .int(Int64(UInt32.max)), .int(1 << 62), .int(2),
            .list([.string("a"), .string("")]), .list([.int(-1), .int(0), .int(300)]),
            .list([.message([.string("s1"), .int(1)]), .message([nil, .int(-2)])]),
            .map([.init(key: .string("a"), value: .int(-1)), .init(key: .string("b"), value: .int(5))]),
            .map([.init(key: .int(-1), value: .message([.string("m"), .int(3)]))]),
            .message([.string("Ada"), .message([.string("Berlin"), .message([.double(52.52)])])]),
            .int(-2_147_483_648), nil,
        ]
        let bytes = try descriptor.encode(row)
        try workdir.write(bytes, to: "row.bin")
        try writeSentDescriptorSet(descriptor, package: "shop", in: workdir)

        let expected = #"{"blob":"AP8Q","by_slot":{"-1":{"qty":3,"sku":"m"}},"counts":[-1,0,300],"#
            + #""customer":{"home":{"city":"Berlin","geo":{"lat":52.52}},"name":"Ada"},"day":19723,"#
            + #""delta32":-3,"delta64":"-4000000000","f32":4000000000,"f64":"9223372036854775807","gift":true,"#
            + #""id":"9007199254740993","items":[{"qty":1,"sku":"s1"},{"qty":-2}],"meta":{"a":"-1","b":"5"},"#
            + #""neg":-2147483648,"note":"gift for \u00fc","sf32":-7,"sf64":"-9223372036854775808","status":2,"#
            + #""tags":["a",""],"total":-12.5,"u32":4294967295,"u64":"4611686018427387904","weight":1.25}"#
        for setName in ["set.pb", "sent.pb"] {
            let parsed = try parseWithPython(workdir, setName: setName, message: "shop.table_Orders")
            #expect(parsed.json == expected, "parsed with \(setName)")
            // upb's deterministic serialization of what it parsed is byte-identical to ours.
            #expect(parsed.reserialized == hex(bytes), "parsed with \(setName)")
        }
        #expect(try descriptor.decode(bytes) == row)
    }

    @Test func schemaDescriptor_isAcceptedByProtocAndParsedByPythonProtobuf() throws {
        let workdir = try Workdir()
        defer { workdir.remove() }
        let descriptor = try MessageDescriptor(schema: RoundTripTests.everyColumnType)
        let bytes = try descriptor.encode(RoundTripTests.fullRow)
        try workdir.write(bytes, to: "row.bin")
        try writeSentDescriptorSet(descriptor, package: "zerobus_edge", in: workdir)

        let parsed = try parseWithPython(workdir, setName: "sent.pb", message: "zerobus_edge.table_All")
        #expect(parsed.json == #"{"attrs":{"k1":-1e+300,"k2":0.0},"b":"9223372036854775807","#
            + #""by_id":{"-5":{"label":"neg"},"7":{}},"d":3.141592653589793,"day":19000,"f":-0.25,"flag":true,"#
            + #""i":-2147483648,"nums":["-1","0","-9223372036854775808"],"pos":{"hist":[{"t":"1"},{"t":"-2"}],"x":2.5},"#
            + #""raw":"AAH/","s":"dev-1 \u2713","sm":-32768,"ti":127,"ts":"1700000000123456","words":["","two"]}"#)
        #expect(parsed.reserialized == hex(bytes))
    }

    /// Wraps the DescriptorProto we would send in a one-file FileDescriptorSet (`sent.pb`) and has
    /// protoc's C++ DescriptorPool validate it (type resolution, map entry names and layout).
    private func writeSentDescriptorSet(_ descriptor: MessageDescriptor, package: String, in workdir: Workdir) throws {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "sent.proto"
        file.package = package
        file.syntax = "proto2"
        file.messageType = [try Google_Protobuf_DescriptorProto(serializedBytes: descriptor.serializedDescriptorProto())]
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [file]
        try workdir.write(try set.serializedBytes(), to: "sent.pb")
        try run("/usr/bin/env", ["protoc", "--descriptor_set_in=\(workdir.path("sent.pb"))",
                                 "--descriptor_set_out=\(workdir.path("validated.pb"))", "sent.proto"])
    }

    private func parseWithPython(
        _ workdir: Workdir, setName: String, message: String
    ) throws -> (json: String?, reserialized: String?) {
        try workdir.write(Self.parseScript, to: "parse.py")
        let output = try run(pythonPath(), [workdir.path("parse.py"), workdir.url.path, setName, message])
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String], "python printed: \(output)")
        return (result["json"], result["reserialized"])
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private func pythonPath() -> String {
        if let configured = ProcessInfo.processInfo.environment["ZEROBUS_PYTHON"], !configured.isEmpty {
            return configured
        }
        let repoRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repoRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// Runs a program to completion; returns stdout, throws with stderr on a non-zero exit.
    /// stderr goes to a file so a chatty child cannot block on a full pipe while we read stdout.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("dynproto-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw ProcessFailure(
                description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(message)")
        }
        return String(decoding: outputData, as: UTF8.self)
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    let description: String
}

/// A fresh temporary directory for one test.
struct Workdir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dynproto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws {
        try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
