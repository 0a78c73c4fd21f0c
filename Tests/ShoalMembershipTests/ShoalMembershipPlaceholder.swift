import Testing
@testable import ShoalMembership
