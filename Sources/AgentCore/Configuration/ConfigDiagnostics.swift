import TOML
/// Collects configuration errors while decoding continues, so one run reports every problem.
/// Lives only for one decode on one thread.
final class ConfigDiagnostics {
    let file: String
    let environment: [String: String]
    /// False for commands that need no credentials (`status`, `quarantine`): credential keys are
    /// then neither interpolated nor checked (see `TableReader.skipCredential`).
    let readsCredentials: Bool
    private(set) var errors: [ConfigError] = []
    /// Not errors: keys that still hold the shipped placeholders (`ShippedPlaceholders`).
    private(set) var warnings: [ConfigError] = []
    /// Variables whose `:-fallback` was used, by key path, so a warning about the value can say why.
    private(set) var fallbackVariables: [String: [String]] = [:]
    /// Variables that were unset in keys where that reads as "" (see `interpolate`), by key path,
    /// so a later "missing credentials" error can say why.
    private(set) var unsetVariables: [String: [String]] = [:]

    init(file: String, environment: [String: String], readsCredentials: Bool = true) {
        self.file = file
        self.environment = environment
        self.readsCredentials = readsCredentials
    }

    func report(_ keyPath: String, at position: TOMLPosition?, _ message: String) {
        errors.append(ConfigError(file: file, line: position?.line, column: position?.column, keyPath: keyPath, message: message))
    }

    func warn(_ keyPath: String, at position: TOMLPosition?, _ message: String) {
        warnings.append(ConfigError(file: file, line: position?.line, column: position?.column, keyPath: keyPath, message: message))
    }

    /// Errors in file order (errors without a line first); ties keep the order they were found in.
    var sortedErrors: [ConfigError] {
        errors.enumerated().sorted { lhs, rhs in
            let (left, right) = (lhs.element.line ?? 0, rhs.element.line ?? 0)
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// Replaces `${NAME}` with the environment variable NAME and `${NAME:-fallback}` with the variable
    /// or, when it is unset or empty, the fallback; `$${` is a literal `${`.
    ///
    /// An unset variable without fallback is an error — a value silently becoming "" would fail later
    /// and less clearly — except in keys where "" is itself valid and means "not set"
    /// (`unsetMeansEmpty`: credentials, optional files). There it reads as "" and is remembered in
    /// `unsetVariables`, so the shipped example (`password = "${MQTT_PASSWORD}"` for a broker without
    /// authentication) works with the variable left out, while a credential that ends up missing is
    /// reported together with the variable that was not set.
    func interpolate(_ text: String, keyPath: String, at position: TOMLPosition?, unsetMeansEmpty: Bool = false) -> String? {
        guard text.contains("$") else { return text }
        var output = ""
        var scalars = Substring(text).unicodeScalars[...]
        var failed = false
        while let scalar = scalars.popFirst() {
            guard scalar == "$" else {
                output.unicodeScalars.append(scalar)
                continue
            }
            if scalars.starts(with: "${".unicodeScalars) {
                scalars.removeFirst()
                output += "$"
                continue
            }
            guard scalars.first == "{" else {
                output += "$"
                continue
            }
            scalars.removeFirst()
            guard let close = scalars.firstIndex(of: "}") else {
                report(keyPath, at: position, "unterminated '${' (write '$${' for a literal '${')")
                return nil
            }
            let expression = String(String.UnicodeScalarView(scalars[..<close]))
            scalars = scalars[scalars.index(after: close)...]
            var name = Substring(expression)
            var fallback: Substring?
            if let colon = expression.firstIndex(of: ":"), expression[expression.index(after: colon)...].hasPrefix("-") {
                name = expression[..<colon]
                fallback = expression[expression.index(colon, offsetBy: 2)...]
            }
            guard ConfigDiagnostics.isVariableName(name) else {
                report(keyPath, at: position, "'${\(expression)}' is not a valid environment variable reference")
                failed = true
                continue
            }
            if let value = environment[String(name)], !(fallback != nil && value.isEmpty) {
                output += value
            } else if let fallback {
                output += fallback
                fallbackVariables[keyPath, default: []].append(String(name))
            } else if unsetMeansEmpty {
                unsetVariables[keyPath, default: []].append(String(name))
            } else {
                report(keyPath, at: position, "environment variable '\(name)' is not set")
                failed = true
            }
        }
        return failed ? nil : output
    }

    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || isASCIIDigit($0) }
    }
}

func isASCIILetter(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
}

func isASCIIDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

/// The known key closest to a misspelt one, for "did you mean" hints: optimal-string-alignment
/// distance (a swap of two neighbours counts once), case-insensitive, at most 1 edit for keys of
/// up to 4 characters and 2 for longer ones.
func closestKey(to key: String, among candidates: [String]) -> String? {
    let typed = Array(key.lowercased().unicodeScalars)
    var best: (key: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(typed, Array(candidate.lowercased().unicodeScalars))
        if distance <= (typed.count <= 4 ? 1 : 2), distance < (best?.distance ?? Int.max) {
            best = (candidate, distance)
        }
    }
    return best?.key
}

func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previousPrevious[j - 2] + 1)
            }
        }
        (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
}
