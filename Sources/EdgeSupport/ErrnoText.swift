import Glibc

/// The C library's text for an `errno` value, for error messages that say what went wrong.
public enum ErrnoText {
    /// `strerror(code)`, e.g. "No such file or directory"; "error N" for a code it does not know.
    public static func describe(_ code: Int32 = errno) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// The same with its first letter lower-cased, to read as one sentence after a colon.
    public static func inSentence(_ code: Int32 = errno) -> String {
        let message = describe(code)
        guard let first = message.first else { return "error \(code)" }
        return first.lowercased() + message.dropFirst()
    }
}
