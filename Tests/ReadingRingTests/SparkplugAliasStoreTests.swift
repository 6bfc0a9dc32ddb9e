import ReadingRing
import SQLite
import Testing

/// BIRTH definitions kept in the ring: replaced per node or device, and there after a reopen.
@Suite struct SparkplugAliasStoreTests {
    private func record(_ device: String, _ name: String, _ alias: UInt64?, node: String = "n1") -> SparkplugAliasRecord {
        SparkplugAliasRecord(group: "g", edgeNode: node, device: device, name: name, alias: alias, datatype: 10)
    }

    @Test func aNodeBirthReplacesItsDevicesAndADeviceBirthItselfAcrossAReopen() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            try ring.replaceSparkplugAliases(group: "g", edgeNode: "n1", device: "", with: [record("", "a", 1)])
            try ring.replaceSparkplugAliases(group: "g", edgeNode: "n1", device: "d1", with: [record("d1", "b", 2)])
            try ring.replaceSparkplugAliases(group: "g", edgeNode: "n2", device: "d1", with: [record("d1", "c", 2, node: "n2")])
            try ring.replaceSparkplugAliases(group: "g", edgeNode: "n1", device: "d1", with: [record("d1", "b2", UInt64.max), record("d1", "nameOnly", nil)])
            try ring.close()
        }
        let (ring, _) = try ReadingRing.open(dir.configuration())
        #expect(Set(try ring.sparkplugAliases()) == [
            record("", "a", 1), record("d1", "b2", UInt64.max), record("d1", "nameOnly", nil), record("d1", "c", 2, node: "n2"),
        ])
        try ring.replaceSparkplugAliases(group: "g", edgeNode: "n1", device: "", with: [record("", "a2", 5)])
        #expect(Set(try ring.sparkplugAliases()) == [record("", "a2", 5), record("d1", "c", 2, node: "n2")])
    }

    @Test func aFormatOneRingGainsTheTableWhenOpened() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            try ring.close()
        }
        do {
            // What a ring written before Sparkplug support looks like.
            let db = try SQLiteConnection(path: dir.ringPath, flags: [.readWrite])
            try db.execute("DROP TABLE sparkplug_aliases")
            try db.pragma("user_version", "1")
            try db.close()
        }
        let (ring, _) = try ReadingRing.open(dir.configuration())
        try ring.replaceSparkplugAliases(group: "g", edgeNode: "n1", device: "", with: [record("", "a", 1)])
        #expect(try ring.sparkplugAliases() == [record("", "a", 1)])
        try ring.close()
        let db = try SQLiteConnection(path: dir.ringPath, flags: [.readOnly])
        #expect(try db.pragma("user_version") == "2")
    }
}
