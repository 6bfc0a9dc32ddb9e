// swift-tools-version:6.2
// zerobus-edge: MQTT → bounded SQLite ring → Databricks Zerobus Ingest, plus a reusable
// Swift Zerobus client. Each C library is imported by exactly one Swift wrapper target.
import PackageDescription

let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "zerobus-edge",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ZerobusClient", targets: ["ZerobusClient"]),
        .library(name: "DynamicProtobuf", targets: ["DynamicProtobuf"]),
        .executable(name: "zerobus-edge", targets: ["zerobus-edge"]),
        .executable(name: "zerobus-example", targets: ["zerobus-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // C libraries from Debian (headers and link flags only).
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CMbedTLS", providers: [.apt(["libmbedtls-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // glibc's <malloc.h> (mallopt, malloc_trim), for giving big payloads' memory back.
        .systemLibrary(name: "CMalloc"),

        // Small pure helpers several targets share (JSON string escaping, base64, UTF-8
        // validation, FNV-1a, errno text, clock readings), so each exists once.
        .target(name: "EdgeSupport", swiftSettings: strict),
        // TCP, TLS (mbedTLS), HTTP/2 (nghttp2), gRPC framing, HTTP/1.1 for OAuth. Knows nothing of Zerobus.
        .target(
            name: "GRPCTransport",
            dependencies: ["CNghttp2", "CMbedTLS", "EdgeSupport"],
            swiftSettings: strict
        ),
        // Unity Catalog column types → DescriptorProto, and rows of dynamic values → protobuf bytes.
        .target(
            name: "DynamicProtobuf",
            dependencies: ["EdgeSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strict
        ),
        // The Zerobus Ingest client library: streams, acks, recovery, auth.
        .target(
            name: "ZerobusClient",
            dependencies: [
                "GRPCTransport",
                "DynamicProtobuf",
                "EdgeSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // TOML 1.0 documents → values with their line and column (for errors that name the line).
        .target(name: "TOML", dependencies: ["EdgeSupport"], swiftSettings: strict),
        // The agent's pure core: configuration, topic routing, payload mapping to rows, health model.
        .target(
            name: "AgentCore",
            dependencies: ["TOML", "DynamicProtobuf", "EdgeSupport"],
            swiftSettings: strict
        ),
        // SQLite wrapper (the only target importing CSQLite).
        .target(name: "SQLite", dependencies: ["CSQLite"], swiftSettings: strict),
        // The bounded on-disk ring of encoded rows awaiting acks, plus the quarantine.
        .target(name: "ReadingRing", dependencies: ["SQLite", "EdgeSupport"], swiftSettings: strict),
        // libmosquitto wrapper (the only target importing CMosquitto), on its own thread.
        .target(name: "Mosquitto", dependencies: ["CMosquitto", "EdgeSupport"], swiftSettings: strict),
        // The agent's long-running jobs (one ServiceGroup) and OS integration (health server, sd_notify).
        .target(
            name: "AgentServices",
            dependencies: [
                "AgentCore", "ReadingRing", "Mosquitto", "ZerobusClient", "DynamicProtobuf", "GRPCTransport", "CMalloc", "EdgeSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The daemon and its commands (run, check-config, status, quarantine).
        .executableTarget(
            name: "zerobus-edge",
            dependencies: [
                "AgentServices", "AgentCore", "ReadingRing", "EdgeSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "zerobus-example",
            dependencies: [
                "ZerobusClient",
                "DynamicProtobuf",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Helpers shared by the test targets that spawn fixture processes (not shipped).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "GRPCTransportTests", dependencies: ["GRPCTransport", "EdgeSupport"], swiftSettings: strict),
        .testTarget(name: "DynamicProtobufTests", dependencies: ["DynamicProtobuf"], swiftSettings: strict),
        .testTarget(name: "ZerobusClientTests", dependencies: ["ZerobusClient", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "TOMLTests", dependencies: ["TOML", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EdgeSupportTests", dependencies: ["EdgeSupport"], swiftSettings: strict),
        .testTarget(name: "AgentCoreTests", dependencies: ["AgentCore", "TOML", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ReadingRingTests", dependencies: ["ReadingRing", "SQLite"], swiftSettings: strict),
        .testTarget(
            name: "AgentServicesTests",
            dependencies: [
                "AgentServices", "AgentCore", "TOML", "DynamicProtobuf",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(name: "MosquittoTests", dependencies: ["Mosquitto", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ZerobusIntegrationTests",
            dependencies: ["ZerobusClient", "DynamicProtobuf", "GRPCTransport", "TestSupport"],
            swiftSettings: strict
        ),
    ]
)
