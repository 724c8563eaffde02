package dev.agentstore.examples.wildfly;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The example's JAX-RS application: every resource under {@code /api}. */
@ApplicationPath("api")
public class AgentStoreApplication extends Application {
}
