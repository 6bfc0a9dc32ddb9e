import CNghttp2
import EdgeSupport
import Glibc

/// Drives one HTTP/2 client session on the connection's dedicated I/O thread: a poll loop over
/// the socket and the wakeup pipe, commands from the mailbox, nghttp2 for framing and flow control.
/// Everything here is confined to that thread.
final class HTTP2Engine {
    static let outputHighWater = 64 * 1024
    static let readChunk = 64 * 1024
    /// Reads per loop turn before giving writes a chance again.
    static let readsPerTurn = 16

    let mailbox: ConnectionMailbox
    let channel: any ByteChannel
    let endpoint: Endpoint
    let options: ConnectionOptions
    var session: OpaquePointer?
    /// Open streams by id, and the same contexts by call for commands from other threads.
    var streams: [Int32: StreamContext] = [:]
    var contextsByCall: [ObjectIdentifier: StreamContext] = [:]
    /// Serialized frames not yet accepted by the channel, from `outputOffset` on.
    private var output: [UInt8] = []
    private var outputOffset = 0
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunk, alignment: 16)
    /// What a blocked channel write (or read) waits for, to add POLLOUT only when needed.
    private var writeBlockedOn: IOReadiness?
    private var readBlockedOn: IOReadiness?
    /// The server's GOAWAY, for messages.
    var goAwayDescription: String?

    init(channel: any ByteChannel, mailbox: ConnectionMailbox, endpoint: Endpoint, options: ConnectionOptions) {
        self.channel = channel
        self.mailbox = mailbox
        self.endpoint = endpoint
        self.options = options
    }

    deinit {
        readBuffer.deallocate()
    }

    /// How the loop ended.
    private enum Ending {
        case closeRequested
        case finished
        case failed(String)
    }

    /// Runs until closed or failed, then tears everything down and finishes all calls.
    func run() {
        let ending: Ending
        do throws(TransportError) {
            try createSession()
            ending = try loop()
        } catch {
            ending = .failed(error.message)
        }
        tearDown(ending)
    }

    private func loop() throws(TransportError) -> Ending {
        while true {
            if processCommands() { return .closeRequested }
            try flushOutput()
            if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 && pendingOutput == 0 {
                return .finished
            }
            if channel.hasBufferedInput {
                if try readInput() == .peerClosed { return .finished }
                continue
            }
            var fds = [
                pollfd(fd: channel.socket.fileDescriptor, events: socketEvents, revents: 0),
                pollfd(fd: mailbox.wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            // No timeout: the loop sleeps until the socket or the wakeup pipe has something.
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                guard errno == EINTR else { throw TransportError(.io, "poll failed: \(ErrnoText.describe(errno))") }
                continue
            }
            if fds[1].revents != 0 { mailbox.wakeup.consume() }
            if fds[0].revents & Int16(POLLOUT) != 0 { writeBlockedOn = nil }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                readBlockedOn = nil
                if try readInput() == .peerClosed { return .finished }
            }
        }
    }

    private var socketEvents: Int16 {
        var events = Int16(POLLIN)
        if writeBlockedOn == .writable || readBlockedOn == .writable { events |= Int16(POLLOUT) }
        return events
    }

    private var pendingOutput: Int { output.count - outputOffset }

    /// Serializes frames with nghttp2_session_mem_send into `output` (batched up to 64 KiB) and
    /// writes them until everything is out or the channel would block.
    private func flushOutput() throws(TransportError) {
        while writeBlockedOn == nil {
            while pendingOutput < Self.outputHighWater {
                var chunk: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &chunk)
                if count < 0 { throw TransportError(.protocolError, "HTTP/2 send failed: \(nghttp2Error(Int32(count)))") }
                guard count > 0, let chunk else { break }
                if outputOffset > 0 && outputOffset == output.count {
                    output.removeAll(keepingCapacity: true)
                    outputOffset = 0
                }
                output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: count))
            }
            guard pendingOutput > 0 else { return }
            let offset = outputOffset
            let attempt = output.withUnsafeBytes { raw in
                Result { () throws(TransportError) -> IOResult in try channel.write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch try attempt.get() {
            case .transferred(let count):
                outputOffset += count
                if outputOffset == output.count {
                    output.removeAll(keepingCapacity: output.capacity <= 4 * Self.outputHighWater)
                    outputOffset = 0
                }
            case .wouldBlock(let readiness):
                writeBlockedOn = readiness
            case .endOfStream:
                throw TransportError(.io, "the server closed the connection")
            }
        }
    }

    private enum ReadOutcome { case drained, peerClosed }

    /// Feeds available input to nghttp2. The peer closing an idle connection is a normal end
    /// (`.peerClosed`); closing it under open streams is an error for those calls.
    private func readInput() throws(TransportError) -> ReadOutcome {
        for _ in 0..<Self.readsPerTurn {
            switch try channel.read(into: readBuffer) {
            case .transferred(let count):
                let consumed = nghttp2_session_mem_recv(session, readBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count)
                if consumed < 0 {
                    throw TransportError(.protocolError, "HTTP/2 protocol error: \(nghttp2Error(Int32(consumed)))")
                }
            case .wouldBlock(let readiness):
                readBlockedOn = readiness == .writable ? .writable : nil
                return .drained
            case .endOfStream:
                if streams.isEmpty { return .peerClosed }
                throw TransportError(.io, "the server closed the connection" + (goAwayDescription.map { " after \($0)" } ?? ""))
            }
            // A write waiting for input (TLS) may proceed now.
            if writeBlockedOn == .readable { writeBlockedOn = nil }
        }
        return .drained
    }

    /// Applies queued commands; true when a close was requested.
    private func processCommands() -> Bool {
        var closeRequested = false
        for command in mailbox.takeCommands() {
            switch command {
            case .start(let call, let path, let metadata):
                submitRequest(call: call, path: path, metadata: metadata)
            case .resume(let call):
                if let context = contextsByCall[ObjectIdentifier(call)] {
                    _ = nghttp2_session_resume_data(session, context.streamID)
                }
            case .cancel(let call):
                if let context = contextsByCall[ObjectIdentifier(call)], !context.isFinished {
                    context.localStatus = GRPCStatus(code: GRPCStatus.Code.cancelled, message: "the call was cancelled by the client")
                    context.finish(context.localStatus!)
                    _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), context.streamID,
                                                  NGHTTP2_CANCEL.rawValue)
                }
            case .close:
                closeRequested = true
            }
        }
        return closeRequested
    }

    private func tearDown(_ ending: Ending) {
        let status: GRPCStatus
        switch ending {
        case .closeRequested:
            status = GRPCStatus(code: GRPCStatus.Code.cancelled, message: "the connection was closed by the client")
            closeGracefully()
        case .finished:
            status = GRPCStatus(code: GRPCStatus.Code.unavailable, message: "the connection to \(endpoint.authority) ended"
                                + (goAwayDescription.map { " after \($0)" } ?? " (closed by the server)"))
            mailbox.refuseNewCalls(reason: status.message)
            channel.shutdown(until: .after(.milliseconds(500)))
        case .failed(let reason):
            status = GRPCStatus(code: GRPCStatus.Code.unavailable, message: "connection to \(endpoint.authority) lost: \(reason)")
            mailbox.refuseNewCalls(reason: status.message)
        }
        channel.socket.close()
        for context in streams.values { context.finish(status) }
        streams.removeAll()
        contextsByCall.removeAll()
        if let session { nghttp2_session_del(session) }
        session = nil
        let (leftovers, waiters) = mailbox.terminate(reason: status.message)
        for case .start(let call, _, _) in leftovers { call.finish(status, trailers: []) }
        for waiter in waiters { waiter.resume() }
    }

    /// GOAWAY(NO_ERROR), flush (bounded), then TLS close_notify.
    private func closeGracefully() {
        guard let session else { return }
        let deadline = Deadline.after(.seconds(1))
        _ = nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        do throws(TransportError) {
            while true {
                try flushOutput()
                guard let readiness = writeBlockedOn else { break }
                guard try channel.socket.wait(for: readiness, until: deadline) else { return }
                writeBlockedOn = nil
            }
        } catch {
            return
        }
        channel.shutdown(until: deadline)
    }
}

func nghttp2Error(_ code: Int32) -> String {
    String(cString: nghttp2_strerror(code))
}
