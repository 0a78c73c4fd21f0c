import Testing
@testable import ShoalCore
