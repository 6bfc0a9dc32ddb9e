/// Why `schema pull` failed, and whether the user asked for something impossible (exit 2) or
/// the pull itself failed (exit 1: network, credentials, missing table, unusable types).
public struct SchemaPullError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A bad argument or a configuration that cannot be used for the pull.
        case usage
        /// The request, the server's answer, or the table's columns.
        case runtime
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// SPEC.md §4: 2 usage/config error, 1 runtime failure.
    public var exitCode: Int32 { kind == .usage ? 2 : 1 }
    public var description: String { message }
}
