#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftProtobuf

/// Builds and reads the EphemeralStream envelope messages (generated code in Generated/).
enum WireMessages {
    static let ephemeralStreamPath = "/databricks.zerobus.Zerobus/EphemeralStream"

    static func createStream(table: String, format: RecordFormat) throws -> [UInt8] {
        var create = Databricks_Zerobus_CreateIngestStreamRequest()
        create.tableName = table
        switch format {
        case .proto(let descriptor):
            create.recordType = .proto
            create.descriptorProto = Data(descriptor)
        case .json:
            create.recordType = .json
        }
        var request = Databricks_Zerobus_EphemeralStreamRequest()
        request.createStream = create
        return try request.serializedBytes()
    }

    /// One record goes as `ingest_record`, two or more as `ingest_record_batch` (as the SDKs do).
    static func ingest(records: [[UInt8]], wireOffset: Int64, format: RecordFormat) throws -> [UInt8] {
        var request = Databricks_Zerobus_EphemeralStreamRequest()
        if records.count == 1 {
            var single = Databricks_Zerobus_IngestRecordRequest()
            single.offsetID = wireOffset
            switch format {
            case .proto: single.protoEncodedRecord = Data(records[0])
            case .json: single.jsonRecord = String(decoding: records[0], as: UTF8.self)
            }
            request.ingestRecord = single
        } else {
            var batch = Databricks_Zerobus_IngestRecordBatchRequest()
            batch.offsetID = wireOffset
            switch format {
            case .proto:
                var encoded = Databricks_Zerobus_ProtoEncodedRecordBatch()
                encoded.records = records.map { Data($0) }
                batch.protoEncodedBatch = encoded
            case .json:
                var json = Databricks_Zerobus_JsonRecordBatch()
                json.records = records.map { String(decoding: $0, as: UTF8.self) }
                batch.jsonBatch = json
            }
            request.ingestRecordBatch = batch
        }
        return try request.serializedBytes()
    }

    enum Response: Equatable {
        case created(streamID: String)
        case acknowledged(upToWireOffset: Int64)
        case closeSignal(after: Duration)
    }

    static func decodeResponse(_ bytes: [UInt8]) throws(ZerobusError) -> Response {
        let response: Databricks_Zerobus_EphemeralStreamResponse
        do {
            response = try Databricks_Zerobus_EphemeralStreamResponse(serializedBytes: bytes)
        } catch {
            throw ZerobusError(.unexpectedResponse, "undecodable server message (\(bytes.count) bytes)")
        }
        switch response.payload {
        case .createStreamResponse(let created):
            guard created.hasStreamID, !created.streamID.isEmpty else {
                throw ZerobusError(.unexpectedResponse, "create_stream_response without a stream_id")
            }
            return .created(streamID: created.streamID)
        case .ingestRecordResponse(let ack):
            guard ack.hasDurabilityAckUpToOffset else {
                throw ZerobusError(.unexpectedResponse, "ingest_record_response without durability_ack_up_to_offset")
            }
            return .acknowledged(upToWireOffset: ack.durabilityAckUpToOffset)
        case .closeStreamSignal(let signal):
            let duration = signal.hasDuration
                ? Duration.seconds(signal.duration.seconds) + .nanoseconds(Int64(signal.duration.nanos))
                : .zero
            return .closeSignal(after: duration)
        case nil:
            throw ZerobusError(.unexpectedResponse, "server message with an empty payload")
        }
    }
}
