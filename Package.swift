// swift-tools-version:6.0
import PackageDescription

/// One settings list for every target (see STYLE.md).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Tollgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tollgate", targets: ["tollgate"]),
        .library(name: "ContractCore", targets: ["ContractCore"]),
        .library(name: "Transport", targets: ["Transport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        // Already in the graph through Hummingbird; named here because the services import them.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CStdio"),
        .target(name: "ContractCore", swiftSettings: swiftSettings),
        .target(name: "Transport", dependencies: ["CCurl", "CRdKafka", "CLibPQ", "COpenSSL", "CStdio"],
                swiftSettings: swiftSettings),
        .target(name: "Verifier", dependencies: ["ContractCore", "Transport"], swiftSettings: swiftSettings),
        .target(name: "Reports", dependencies: ["ContractCore", "Verifier", "LoadMetrics", "SLO", "LoadEngine", "Consistency"],
                swiftSettings: swiftSettings),
        .target(name: "LoadMetrics", dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")], swiftSettings: swiftSettings),
        .target(name: "SLO", dependencies: ["LoadMetrics"], swiftSettings: swiftSettings),
        .target(name: "Consistency", dependencies: ["Transport"], swiftSettings: swiftSettings),
        .target(name: "Flows", dependencies: ["LoadEngine", "ContractCore", "Transport"], swiftSettings: swiftSettings),
        .target(
            name: "LoadEngine",
            dependencies: [
                "ContractCore",
                "LoadMetrics",
                "SLO",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "ServerRuntime",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "StubServer",
            dependencies: [
                "ContractCore",
                "ServerRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "ReferenceServices",
            dependencies: [
                "Transport",
                "ServerRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate",
            dependencies: [
                "ContractCore",
                "ReferenceServices",
                "Reports",
                "StubServer",
                "Verifier",
                "Transport",
                "LoadEngine",
                "LoadMetrics",
                "SLO",
                "Flows",
                "Consistency",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "ContractCoreTests", dependencies: ["ContractCore"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ConsistencyTests", dependencies: ["Consistency", "Transport"], swiftSettings: swiftSettings),
        .testTarget(name: "LoadMetricsTests", dependencies: ["LoadMetrics", "SLO"], swiftSettings: swiftSettings),
        .testTarget(name: "LoadEngineTests", dependencies: ["LoadEngine", "LoadMetrics", "SLO", "TestSupport",
                                                       .product(name: "NIOCore", package: "swift-nio"),
                                                       .product(name: "NIOPosix", package: "swift-nio"),
                                                       .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "ContractCore", "Verifier", "LoadMetrics", "SLO", "Consistency", "TestSupport"],
                    swiftSettings: swiftSettings),
        // Helpers the test targets share (not a test target itself).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "StubServerTests", dependencies: ["StubServer", "ContractCore", "Transport", "ReferenceServices", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ReferenceServicesTests", dependencies: ["ReferenceServices", "Transport", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TollgateCLITests", dependencies: ["tollgate", "ReferenceServices", "TestSupport"], exclude: ["Fixtures"],
                    swiftSettings: swiftSettings),
    ]
)
