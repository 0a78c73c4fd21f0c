/// In-memory twins of the ports: a simulated clock, network and transport, all driven from
/// one seed. ``SimulatedCluster`` runs many ``SWIM/Instance``s on a simulated network.
public enum Simulation {}
