/// An MQTT 3.1.1 topic filter (`sensors/+/temperature`, `plant/#`), validated once and matched
/// against every incoming topic name.
///
/// Matching follows MQTT 3.1.1 §4.7: `+` matches exactly one level (which may be empty), `#` matches
/// the parent level and any number of levels below it, and a wildcard in the *first* level never
/// matches a topic that starts with `$` (`$SYS/…`), so `#` does not swallow broker statistics.
///
/// An MQTT v5 shared subscription, `$share/<group>/<filter>`, is subscribed as written, but the
/// messages it brings carry their real topic names, so it matches like `<filter>`.
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter as written (and subscribed).
    public let text: String
    /// The group of a `$share/<group>/<filter>` subscription; nil for an ordinary filter.
    public let shareGroup: String?
    private let levels: [Level]

    private enum Level: Sendable, Hashable {
        case literal([UInt8])
        case singleLevelWildcard
        case multiLevelWildcard
    }

    static let sharePrefix = "$share/"

    /// Validates `text` as a subscription filter.
    public init(_ text: String) throws(TopicFilterError) {
        var filter = Substring(text)
        if text.hasPrefix(Self.sharePrefix) {
            let rest = text.dropFirst(Self.sharePrefix.count)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else {
                throw TopicFilterError(filter: text, message: "a shared subscription is $share/<group>/<filter>")
            }
            let group = rest[..<slash]
            if group.contains("+") || group.contains("#") {
                throw TopicFilterError(filter: text, message: "the share group name must not contain '+' or '#'")
            }
            filter = rest[rest.index(after: slash)...]
            if filter.isEmpty {
                throw TopicFilterError(filter: text, message: "a shared subscription needs a filter after $share/<group>/")
            }
            shareGroup = String(group)
        } else {
            shareGroup = nil
        }
        let bytes = Array(filter.utf8)
        if text.isEmpty { throw TopicFilterError(filter: text, message: "topic filter is empty") }
        if text.utf8.count > 65_535 {
            throw TopicFilterError(filter: text, message: "topic filter is longer than 65535 bytes")
        }
        if text.utf8.contains(0) { throw TopicFilterError(filter: text, message: "topic filter contains a NUL character") }
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var levels: [Level] = []
        levels.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            if part.elementsEqual([UInt8(ascii: "+")]) {
                levels.append(.singleLevelWildcard)
            } else if part.elementsEqual([UInt8(ascii: "#")]) {
                guard index == parts.count - 1 else {
                    throw TopicFilterError(filter: text, message: "'#' must be the last level of a topic filter")
                }
                levels.append(.multiLevelWildcard)
            } else if part.contains(UInt8(ascii: "+")) || part.contains(UInt8(ascii: "#")) {
                throw TopicFilterError(filter: text, message: "wildcards '+' and '#' must occupy a whole level")
            } else {
                levels.append(.literal(Array(part)))
            }
        }
        self.text = text
        self.levels = levels
    }

    public var description: String { text }

    /// Whether the filter contains `+` or `#`.
    public var hasWildcards: Bool {
        levels.contains { if case .literal = $0 { false } else { true } }
    }

    /// Whether `topic` (a topic *name*, without wildcards) matches this filter.
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { matches(topicBytes: $0) }
    }

    /// Matching over the UTF-8 bytes of a topic name; walks the topic once without splitting it.
    public func matches(topicBytes topic: UnsafeBufferPointer<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/")
        if topic.isEmpty { return false }
        if topic[0] == UInt8(ascii: "$") {
            switch levels[0] {
            case .singleLevelWildcard, .multiLevelWildcard: return false
            case .literal: break
            }
        }
        var position = 0  // start of the current topic level
        var topicExhausted = false  // true once the last topic level has been consumed
        for level in levels {
            if case .multiLevelWildcard = level { return true }  // "a/#" also matches "a"
            if topicExhausted { return false }
            var end = position
            while end < topic.count && topic[end] != slash { end += 1 }
            if case .literal(let expected) = level {
                if expected.count != end - position { return false }
                var offset = 0
                while offset < expected.count {
                    if expected[offset] != topic[position + offset] { return false }
                    offset += 1
                }
            }
            if end == topic.count { topicExhausted = true } else { position = end + 1 }
        }
        return topicExhausted
    }
}

/// Why a topic filter was rejected.
public struct TopicFilterError: Error, Sendable, Hashable, CustomStringConvertible {
    public var filter: String
    public var message: String
    public var description: String { "invalid topic filter '\(filter)': \(message)" }
}

/// Topic-name helpers used by `topic[i]` sources.
public enum TopicLevels {
    /// The level at `index` of `topic` (0-based; a negative index counts from the end, `-1` = last),
    /// or nil when the topic has fewer levels. Empty levels (`a//b`) are returned as "".
    public static func level(_ index: Int, of topic: String) -> Substring? {
        let utf8 = topic.utf8
        let slash = UInt8(ascii: "/")
        if index >= 0 {
            var start = utf8.startIndex
            var remaining = index
            while remaining > 0 {
                guard let next = utf8[start...].firstIndex(of: slash) else { return nil }
                start = utf8.index(after: next)
                remaining -= 1
            }
            let end = utf8[start...].firstIndex(of: slash) ?? utf8.endIndex
            return topic[start..<end]
        } else {
            var end = utf8.endIndex
            var remaining = -index - 1
            while remaining > 0 {
                guard let previous = utf8[..<end].lastIndex(of: slash) else { return nil }
                end = previous
                remaining -= 1
            }
            let start = utf8[..<end].lastIndex(of: slash).map { utf8.index(after: $0) } ?? utf8.startIndex
            return topic[start..<end]
        }
    }

    /// Every level of `topic`, split on "/" over its bytes (empty levels kept).
    public static func split(_ topic: String) -> [Substring] {
        let utf8 = topic.utf8
        var levels: [Substring] = []
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                levels.append(topic[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        levels.append(topic[start..<utf8.endIndex])
        return levels
    }

    /// Whether `topic` is a valid topic *name* to publish to: non-empty, no wildcards, no NUL.
    public static func isValidTopicName(_ topic: String) -> Bool {
        !topic.isEmpty && topic.utf8.count <= 65_535
            && !topic.utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") || $0 == 0 }
    }
}
