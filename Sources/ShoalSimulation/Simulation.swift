/// In-memory twins of the ports: a simulated clock, network and transport, all driven from one seed.
public enum Simulation {}
