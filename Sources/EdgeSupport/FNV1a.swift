/// 64-bit FNV-1a: the ring's descriptor fingerprints and the intake's redelivery marks. Not a
/// cryptographic hash; both uses compare it with more than the hash.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { add(byte) }
    }

    /// The hash as a signed INTEGER, the way SQLite stores it.
    public var signed: Int64 { Int64(bitPattern: value) }

    public static func hash(_ bytes: some Sequence<UInt8>) -> Int64 {
        var hasher = FNV1a()
        hasher.add(bytes)
        return hasher.signed
    }
}
