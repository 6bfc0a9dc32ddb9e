// swift-tools-version:6.2
// A program of your own that writes rows to a Delta table with the ZerobusClient library alone
// (no agent, no MQTT). In your project, depend on the repository instead of the path:
//   .package(url: "https://github.com/<owner>/zerobus-edge.git", branch: "main")
import PackageDescription

let package = Package(
    name: "readings-writer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "zerobus-edge", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "ReadingsWriter",
            dependencies: [
                .product(name: "ZerobusClient", package: "zerobus-edge"),
                .product(name: "DynamicProtobuf", package: "zerobus-edge"),
            ],
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),
    ]
)
