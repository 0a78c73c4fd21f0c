import Testing
@testable import ShoalZeroMQ
