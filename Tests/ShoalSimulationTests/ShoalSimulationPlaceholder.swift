import Testing
@testable import ShoalSimulation
