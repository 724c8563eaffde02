package dev.agentstore.cli;

/** placeholder */
public final class AgentStoreCli {
    private AgentStoreCli() {
    }

    /** @param args args */
    public static void main(String[] args) {
    }
}
