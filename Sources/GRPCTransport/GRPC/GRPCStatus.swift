/// The outcome of a gRPC call: a status code (0 = OK) and a human-readable message.
public struct GRPCStatus: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(code: Code.ok)

    public var isOK: Bool { code == Code.ok }

    public var description: String {
        let name = Code.name(of: code)
        return message.isEmpty ? "\(name) (\(code))" : "\(name) (\(code)): \(message)"
    }

    /// The canonical gRPC status codes.
    public enum Code {
        public static let ok = 0
        public static let cancelled = 1
        public static let unknown = 2
        public static let invalidArgument = 3
        public static let deadlineExceeded = 4
        public static let notFound = 5
        public static let alreadyExists = 6
        public static let permissionDenied = 7
        public static let resourceExhausted = 8
        public static let failedPrecondition = 9
        public static let aborted = 10
        public static let outOfRange = 11
        public static let unimplemented = 12
        public static let `internal` = 13
        public static let unavailable = 14
        public static let dataLoss = 15
        public static let unauthenticated = 16

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
            "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// `UNAVAILABLE` for 14, `CODE_42` for codes outside the canonical range.
        public static func name(of code: Int) -> String {
            names.indices.contains(code) ? names[code] : "CODE_\(code)"
        }
    }
}
