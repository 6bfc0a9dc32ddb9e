/// gRPC length-prefixed message framing: 1 flag byte (0 = uncompressed), a 4-byte big-endian
/// length, then the message bytes.
enum GRPCMessageFramer {
    static let prefixLength = 5

    /// Appends `message` with its prefix to `buffer` (one append for the prefix, one for the body).
    static func appendFramed(_ message: [UInt8], to buffer: inout [UInt8]) {
        let length = UInt32(truncatingIfNeeded: message.count)
        buffer.append(contentsOf: [0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF),
                                   UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)])
        buffer.append(contentsOf: message)
    }

    static func framed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + prefixLength)
        appendFramed(message, to: &out)
        return out
    }
}

/// Why an inbound byte stream is not valid gRPC framing for us.
enum GRPCFramingError: Error, Equatable {
    /// The compressed flag was set, but we never offer compression.
    case compressedMessage
    /// A flag byte other than 0 or 1.
    case invalidFlag(UInt8)
    /// The announced length exceeds the configured maximum.
    case messageTooLarge(length: Int, limit: Int)

    var status: GRPCStatus {
        switch self {
        case .compressedMessage:
            GRPCStatus(code: .internal, message: "received a compressed message, but no compression was negotiated")
        case .invalidFlag(let flag):
            GRPCStatus(code: .internal, message: "invalid gRPC message flag \(flag)")
        case .messageTooLarge(let length, let limit):
            GRPCStatus(code: .resourceExhausted, message: "received message of \(length) bytes, larger than the limit of \(limit)")
        }
    }
}

/// Reassembles gRPC messages from DATA chunks of any size: a message may span many chunks and a
/// chunk may hold many messages. Messages that sit wholly inside one chunk are copied exactly once.
struct GRPCMessageDeframer {
    let maxMessageSize: Int
    /// Prefix bytes seen so far for the next message (0...4 between calls).
    private var prefix: [UInt8] = []
    /// Body of a message that continues into the next chunk, and how much of it is still missing.
    private var body: [UInt8] = []
    private var bodyRemaining: Int? = nil

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
        prefix.reserveCapacity(GRPCMessageFramer.prefixLength)
    }

    /// True when bytes of an incomplete message are buffered (the stream ended mid-message if this
    /// is still true at END_STREAM).
    var hasPartialMessage: Bool { !prefix.isEmpty || bodyRemaining != nil }

    mutating func process(_ chunk: UnsafeRawBufferPointer, _ onMessage: ([UInt8]) -> Void) throws(GRPCFramingError) {
        var index = 0
        let count = chunk.count
        while index < count {
            if let remaining = bodyRemaining {
                let take = min(remaining, count - index)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<(index + take)]))
                index += take
                if take == remaining {
                    let message = body
                    body = []
                    bodyRemaining = nil
                    onMessage(message)
                } else {
                    bodyRemaining = remaining - take
                }
                continue
            }
            let takePrefix = min(GRPCMessageFramer.prefixLength - prefix.count, count - index)
            prefix.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<(index + takePrefix)]))
            index += takePrefix
            guard prefix.count == GRPCMessageFramer.prefixLength else { break }
            let length = try validatedLength()
            prefix.removeAll(keepingCapacity: true)
            if count - index >= length {
                onMessage(Array(UnsafeRawBufferPointer(rebasing: chunk[index..<(index + length)])))
                index += length
            } else {
                body.reserveCapacity(length)
                bodyRemaining = length
            }
        }
    }

    private func validatedLength() throws(GRPCFramingError) -> Int {
        switch prefix[0] {
        case 0: break
        case 1: throw .compressedMessage
        case let flag: throw .invalidFlag(flag)
        }
        let length = Int(prefix[1]) << 24 | Int(prefix[2]) << 16 | Int(prefix[3]) << 8 | Int(prefix[4])
        guard length <= maxMessageSize else { throw .messageTooLarge(length: length, limit: maxMessageSize) }
        return length
    }
}
