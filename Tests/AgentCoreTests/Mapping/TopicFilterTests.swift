import Testing
@testable import AgentCore

@Suite struct TopicFilterTests {
    @Test(arguments: [
        ("sensors/+/+", "sensors/dev1/temp", true),
        ("sensors/+/+", "sensors/dev1", false),
        ("sensors/+/+", "sensors/dev1/temp/raw", false),
        ("sensors/+/+", "sensors//temp", true),
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        ("sport/tennis/player1/#", "sport/tennis/player2", false),
        ("sport/#", "sport", true),
        ("sport/#", "sport/", true),
        ("#", "a/b/c", true),
        ("#", "/", true),
        ("+", "sport", true),
        ("+", "/finance", false),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("sport/+", "sport/", true),
        ("sport/+", "sport", false),
        ("a/b", "a/b", true),
        ("a/b", "a/bc", false),
        ("a/b", "a/b/", false),
        ("a/bc", "a/b", false),
        ("Sensors/x", "sensors/x", false),
        ("sensors/ü/+", "sensors/ü/t", true),
    ])
    func matching(filter: String, topic: String, expected: Bool) throws {
        #expect(try TopicFilter(filter).matches(topic) == expected)
    }

    @Test func dollarTopicsAreNotMatchedByFirstLevelWildcards() throws {
        #expect(try TopicFilter("#").matches("$SYS/broker/uptime") == false)
        #expect(try TopicFilter("+/broker/uptime").matches("$SYS/broker/uptime") == false)
        #expect(try TopicFilter("$SYS/#").matches("$SYS/broker/uptime"))
        #expect(try TopicFilter("$SYS/+/uptime").matches("$SYS/broker/uptime"))
        #expect(try TopicFilter("a/#").matches("a/$b"))
    }

    @Test(arguments: [
        ("", "topic filter is empty"),
        ("a/#/b", "'#' must be the last level of a topic filter"),
        ("a/b#", "wildcards '+' and '#' must occupy a whole level"),
        ("a+/b", "wildcards '+' and '#' must occupy a whole level"),
        ("a/\u{0}", "topic filter contains a NUL character"),
    ])
    func invalidFilters(filter: String, message: String) {
        #expect(throws: TopicFilterError(filter: filter, message: message)) { try TopicFilter(filter) }
    }

    @Test func reportsWildcards() throws {
        #expect(try TopicFilter("a/+/c").hasWildcards)
        #expect(try TopicFilter("a/#").hasWildcards)
        #expect(try TopicFilter("a/b").hasWildcards == false)
        #expect(try TopicFilter("a/b").description == "a/b")
    }

    @Test func topicLevels() {
        #expect(TopicLevels.level(0, of: "sensors/dev1/temp") == "sensors")
        #expect(TopicLevels.level(1, of: "sensors/dev1/temp") == "dev1")
        #expect(TopicLevels.level(2, of: "sensors/dev1/temp") == "temp")
        #expect(TopicLevels.level(3, of: "sensors/dev1/temp") == nil)
        #expect(TopicLevels.level(-1, of: "sensors/dev1/temp") == "temp")
        #expect(TopicLevels.level(-3, of: "sensors/dev1/temp") == "sensors")
        #expect(TopicLevels.level(-4, of: "sensors/dev1/temp") == nil)
        #expect(TopicLevels.level(1, of: "a//c") == "")
        #expect(TopicLevels.level(0, of: "/a") == "")
        #expect(TopicLevels.level(1, of: "a/") == "")
    }

    @Test(arguments: ["a/b/c", "/a", "a/", "/", "", "a//b", "ü/日本/x", "single"])
    func splitAgreesWithLevelLookup(topic: String) {
        let levels = TopicLevels.split(topic)
        #expect(levels == topic.split(separator: "/", omittingEmptySubsequences: false))
        for index in levels.indices {
            #expect(TopicLevels.level(index, of: topic) == levels[index])
            #expect(TopicLevels.level(index - levels.count, of: topic) == levels[index])
        }
        #expect(TopicLevels.level(levels.count, of: topic) == nil)
    }

    @Test func topicNames() {
        #expect(TopicLevels.isValidTopicName("zerobus-edge/gw/status"))
        #expect(TopicLevels.isValidTopicName("a/+/b") == false)
        #expect(TopicLevels.isValidTopicName("a/#") == false)
        #expect(TopicLevels.isValidTopicName("") == false)
    }
}
