import Testing
@testable import ShoalNode
