import CNghttp2

/// nghttp2 session setup, request submission and the C callbacks. Callbacks reach the engine
/// through the session's user data (an unretained pointer: the engine outlives its session).
extension HTTP2Engine {
    static let initialStreamWindow: UInt32 = 2 << 20
    static let connectionWindow: Int32 = 16 << 20

    func createSession() throws(TransportError) {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else {
            throw TransportError(.io, "cannot allocate nghttp2 callbacks")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, onFrameNotSent)

        var created: OpaquePointer?
        guard nghttp2_session_client_new(&created, callbacks, Unmanaged.passUnretained(self).toOpaque()) == 0 else {
            throw TransportError(.io, "cannot create the nghttp2 session")
        }
        session = created
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: Self.initialStreamWindow),
        ]
        let submitted = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        let windowed = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.connectionWindow)
        guard submitted == 0, windowed == 0 else {
            throw TransportError(.protocolError, "cannot queue HTTP/2 settings: \(nghttp2Error(submitted != 0 ? submitted : windowed))")
        }
    }

    /// Sends the request HEADERS of a new call; its DATA comes from the call's queue.
    func submitRequest(call: GRPCCall, path: String, metadata: [HeaderField]) {
        let context = StreamContext(call: call, maxMessageSize: options.maxInboundMessageSize)
        var fields = [
            HeaderField(":method", "POST"),
            HeaderField(":scheme", endpoint.scheme == .https ? "https" : "http"),
            HeaderField(":path", path),
            HeaderField(":authority", endpoint.authority),
            HeaderField("content-type", "application/grpc"),
            HeaderField("te", "trailers"),
            HeaderField("user-agent", options.userAgent),
        ]
        fields.append(contentsOf: metadata)
        let pointer = Unmanaged.passUnretained(context).toOpaque()
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: pointer), read_callback: readRequestData)
        let streamID = withHeaderList(fields) { list, count in
            nghttp2_submit_request(session, nil, list, count, &provider, pointer)
        }
        guard streamID > 0 else {
            context.finish(GRPCStatus(code: GRPCStatus.Code.unavailable, message: "cannot start the call: \(nghttp2Error(streamID))"))
            return
        }
        context.streamID = streamID
        streams[streamID] = context
        contextsByCall[ObjectIdentifier(call)] = context
    }

    func context(forStream streamID: Int32) -> StreamContext? {
        guard let pointer = nghttp2_session_get_stream_user_data(session, streamID) else { return streams[streamID] }
        return Unmanaged<StreamContext>.fromOpaque(pointer).takeUnretainedValue()
    }

    func forget(_ context: StreamContext) {
        streams[context.streamID] = nil
        contextsByCall[ObjectIdentifier(context.call)] = nil
    }

    /// A header block is complete.
    func headersReceived(_ context: StreamContext, category: nghttp2_headers_category, endStream: Bool) {
        let block = context.headerBlock
        context.headerBlock = []
        if category == NGHTTP2_HCAT_RESPONSE {
            if let status = block.first(named: ":status"), status.hasPrefix("1") { return }  // interim
            context.responseHeaders = block
            if !endStream { context.call.deliver(.responseHeaders(block)) }
        } else {
            context.trailers = block
        }
        if endStream { serverFinished(context) }
    }

    /// The server ended its side (END_STREAM): the call is complete even if we are still sending,
    /// so the status is reported now and our half of the stream is reset (NO_ERROR).
    func serverFinished(_ context: StreamContext) {
        context.finish(context.resolvedStatus(resetCode: 0))
        if nghttp2_session_get_stream_local_close(session, context.streamID) == 0 {
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), context.streamID, NGHTTP2_NO_ERROR.rawValue)
        }
    }

    func dataReceived(_ context: StreamContext, _ bytes: UnsafeRawBufferPointer) {
        guard !context.isFinished else { return }
        do throws(GRPCFramingError) {
            try context.deframer.process(bytes) { context.call.deliver(.message($0)) }
        } catch {
            context.localStatus = error.status
            context.finish(error.status)
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), context.streamID, NGHTTP2_CANCEL.rawValue)
        }
    }

    func goAwayReceived(errorCode: UInt32, lastStreamID: Int32, debugData: String) {
        var description = "GOAWAY \(GRPCStatusResolver.http2ErrorName(errorCode)) (last stream \(lastStreamID))"
        if !debugData.isEmpty { description += ": \(debugData)" }
        goAwayDescription = description
        mailbox.refuseNewCalls(reason: "the server is closing the connection (\(description))")
    }
}

/// Builds an nghttp2_nv array over one contiguous byte buffer; nghttp2 copies during submit.
private func withHeaderList<R>(_ fields: [HeaderField], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
    var storage: [UInt8] = []
    var ranges: [(name: Range<Int>, value: Range<Int>)] = []
    for field in fields {
        let nameStart = storage.count
        storage.append(contentsOf: field.name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: field.value.utf8)
        ranges.append((nameStart..<valueStart, valueStart..<storage.count))
    }
    storage.append(0)  // never empty, so the base address exists
    return storage.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        let list = ranges.map { range in
            nghttp2_nv(name: base + range.name.lowerBound, value: base + range.value.lowerBound,
                       namelen: range.name.count, valuelen: range.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
        return list.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }
}

private func engine(_ userData: UnsafeMutableRawPointer?) -> HTTP2Engine {
    Unmanaged<HTTP2Engine>.fromOpaque(userData!).takeUnretainedValue()
}

private let headersType = UInt8(NGHTTP2_HEADERS.rawValue)
private let endStreamFlag = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)

private func readRequestData(
    _ session: OpaquePointer?, _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?, _ length: Int,
    _ flags: UnsafeMutablePointer<UInt32>?, _ source: UnsafeMutablePointer<nghttp2_data_source>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    let context = Unmanaged<StreamContext>.fromOpaque(source!.pointee.ptr).takeUnretainedValue()
    return context.call.readOutbound(into: buffer!, capacity: length, flags: flags!)
}

private func onBeginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    let frame = frame!.pointee
    if frame.hd.type == headersType, let context = engine(userData).context(forStream: frame.hd.stream_id) {
        context.headerBlock = []
    }
    return 0
}

private func onHeader(
    _ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?, _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
    _ value: UnsafePointer<UInt8>?, _ valueLength: Int, _ flags: UInt8, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context = engine(userData).context(forStream: frame!.pointee.hd.stream_id) else { return 0 }
    context.headerBlock.append(HeaderField(
        String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
        String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)))
    return 0
}

private func onFrameReceived(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    let engine = engine(userData)
    let frame = frame!.pointee
    switch frame.hd.type {
    case headersType:
        if let context = engine.context(forStream: frame.hd.stream_id) {
            engine.headersReceived(context, category: frame.headers.cat, endStream: frame.hd.flags & endStreamFlag != 0)
        }
    case UInt8(NGHTTP2_DATA.rawValue):
        if frame.hd.flags & endStreamFlag != 0, let context = engine.context(forStream: frame.hd.stream_id) {
            engine.serverFinished(context)
        }
    case UInt8(NGHTTP2_GOAWAY.rawValue):
        let goAway = frame.goaway
        let debug = goAway.opaque_data.map { String(decoding: UnsafeBufferPointer(start: $0, count: goAway.opaque_data_len), as: UTF8.self) } ?? ""
        engine.goAwayReceived(errorCode: goAway.error_code, lastStreamID: goAway.last_stream_id, debugData: debug)
    default:
        break
    }
    return 0
}

private func onDataChunk(
    _ session: OpaquePointer?, _ flags: UInt8, _ streamID: Int32, _ data: UnsafePointer<UInt8>?, _ length: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    let engine = engine(userData)
    if let context = engine.context(forStream: streamID) {
        engine.dataReceived(context, UnsafeRawBufferPointer(start: data, count: length))
    }
    return 0
}

private func onStreamClose(_ session: OpaquePointer?, _ streamID: Int32, _ errorCode: UInt32, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    let engine = engine(userData)
    if let context = engine.streams[streamID] {
        engine.forget(context)
        context.finish(context.resolvedStatus(resetCode: errorCode))
    }
    return 0
}

private func onFrameNotSent(
    _ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?, _ errorCode: Int32, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    let engine = engine(userData)
    let frame = frame!.pointee
    if frame.hd.type == headersType, let context = engine.streams[frame.hd.stream_id] {
        engine.forget(context)
        context.finish(GRPCStatus(code: GRPCStatus.Code.unavailable, message: "the request could not be sent: \(nghttp2Error(errorCode))"
                                  + (engine.goAwayDescription.map { " (\($0))" } ?? "")))
    }
    return 0
}
