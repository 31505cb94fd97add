// swift-tools-version:6.0
import PackageDescription

/// One settings list for every target (see STYLE.md).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .swiftLanguageMode(.v5),
]

let package = Package(
    name: "Tollgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tollgate", targets: ["tollgate"]),
        .library(name: "ContractCore", targets: ["ContractCore"]),
        .library(name: "Transport", targets: ["Transport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .target(name: "ContractCore", swiftSettings: swiftSettings),
        .target(name: "Transport", dependencies: ["CCurl", "CRdKafka", "CLibPQ"],
                swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate",
            dependencies: [
                "ContractCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "ContractCoreTests", dependencies: ["ContractCore"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "TransportTests", dependencies: ["Transport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TollgateCLITests", dependencies: ["tollgate"],
                    swiftSettings: swiftSettings),
    ]
)
