/// I/O-thread-only state of one HTTP/2 stream: its call, deframer and received header blocks.
/// nghttp2 holds an unretained pointer to it (stream user data and data source); the engine's
/// `streams` dictionary keeps it alive until the stream closes.
final class StreamContext {
    let call: GRPCCall
    var streamID: Int32 = -1
    var deframer: GRPCMessageDeframer
    /// Fields of the header block being received.
    var headerBlock: [HeaderField] = []
    var responseHeaders: [HeaderField]?
    var trailers: [HeaderField]?
    /// Set when we reset the stream ourselves (client cancel, bad framing): overrides the server's view.
    var localStatus: GRPCStatus?
    private(set) var isFinished = false

    init(call: GRPCCall, maxMessageSize: Int) {
        self.call = call
        deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
    }

    /// Finishes the call once; later attempts are ignored.
    func finish(_ status: GRPCStatus) {
        guard !isFinished else { return }
        isFinished = true
        call.finish(status, trailers: trailers ?? (isTrailersOnly ? responseHeaders ?? [] : []))
    }

    /// True when the response was a single HEADERS block with END_STREAM and grpc-status.
    var isTrailersOnly: Bool { trailers == nil && responseHeaders?.first(named: "grpc-status") != nil }

    /// The status implied by what the server sent so far.
    func resolvedStatus(resetCode: UInt32) -> GRPCStatus {
        if let localStatus { return localStatus }
        var status = GRPCStatusResolver.status(responseHeaders: responseHeaders, trailers: trailers, resetCode: resetCode)
        if status.isOK && deframer.hasPartialMessage {
            status = GRPCStatus(code: GRPCStatus.Code.internal, message: "the stream ended in the middle of a gRPC message")
        }
        return status
    }
}
