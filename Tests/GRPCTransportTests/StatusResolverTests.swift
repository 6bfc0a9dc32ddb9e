import Testing
@testable import GRPCTransport

@Suite struct StatusResolverTests {
    private let okHeaders = [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")]

    @Test func status_fromTrailers() {
        let status = GRPCStatusResolver.status(
            responseHeaders: okHeaders,
            trailers: [HeaderField("grpc-status", "0"), HeaderField("x-echo-count", "3")], resetCode: 0)
        #expect(status == .ok && status.isOK)
    }

    @Test func status_fromTrailersOnlyResponse() {
        let headers = okHeaders + [HeaderField("grpc-status", "12"), HeaderField("grpc-message", "Method not found!")]
        let status = GRPCStatusResolver.status(responseHeaders: headers, trailers: nil, resetCode: 0)
        #expect(status == GRPCStatus(code: .unimplemented, message: "Method not found!"))
    }

    @Test func status_trailersWinOverAReset() {
        let status = GRPCStatusResolver.status(
            responseHeaders: okHeaders, trailers: [HeaderField("grpc-status", "9"), HeaderField("grpc-message", "no")], resetCode: 8)
        #expect(status == GRPCStatus(code: .failedPrecondition, message: "no"))
    }

    @Test func grpcMessage_isPercentDecoded() {
        #expect(GRPCStatusResolver.percentDecoded("bad thing: 100%25 %E2%9C%93") == "bad thing: 100% ✓")
        #expect(GRPCStatusResolver.percentDecoded("broken %zz and %4") == "broken %zz and %4")
        #expect(GRPCStatusResolver.percentDecoded("plain") == "plain")
    }

    @Test func status_whenGrpcStatusIsNotANumber() {
        let status = GRPCStatusResolver.status(in: [HeaderField("grpc-status", "abc")])
        #expect(status?.code == .unknown)
        #expect(status?.message.contains("abc") == true)
    }

    @Test(arguments: [(UInt32(7), 14), (8, 1), (11, 8), (12, 7), (1, 13), (2, 13)])
    func status_whenStreamResetWithoutStatus(resetCode: UInt32, expected: Int) {
        let status = GRPCStatusResolver.status(responseHeaders: okHeaders, trailers: nil, resetCode: resetCode)
        #expect(status.code.rawValue == expected)
        #expect(status.message.contains("HTTP/2 error"))
    }

    @Test(arguments: [(400, 13), (401, 16), (403, 7), (404, 12), (429, 14), (502, 14), (503, 14), (504, 14), (500, 2)])
    func status_whenHTTPErrorWithoutGrpcStatus(httpStatus: Int, expected: Int) {
        let status = GRPCStatusResolver.status(responseHeaders: [HeaderField(":status", "\(httpStatus)")], trailers: nil, resetCode: 0)
        #expect(status.code.rawValue == expected)
        #expect(status.message.contains("\(httpStatus)"))
    }

    @Test func status_whenServerEndsWithoutAnyStatus() {
        let status = GRPCStatusResolver.status(responseHeaders: okHeaders, trailers: [], resetCode: 0)
        #expect(status.code == .internal)
    }

    @Test func statusDescription_namesTheCode() {
        #expect(GRPCStatus(code: .unavailable, message: "gone").description == "UNAVAILABLE (14): gone")
        #expect(GRPCStatus(code: .init(rawValue: 99)).description == "CODE_99 (99)")
    }
}
