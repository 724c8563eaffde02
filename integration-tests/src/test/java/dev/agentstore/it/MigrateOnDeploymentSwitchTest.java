package dev.agentstore.it;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.persistence.jakarta.MigrateOnDeployment;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Without a container: which of the system property, environment variable and unit property decides. */
class MigrateOnDeploymentSwitchTest {

    @Test
    void unitPropertyDecidesWhenNothingOverridesIt() {
        assertThat(MigrateOnDeployment.enabled("true", null, new Properties())).isTrue();
        assertThat(MigrateOnDeployment.enabled("false", null, new Properties())).isFalse();
        assertThat(MigrateOnDeployment.enabled(null, null, new Properties())).isTrue();
    }

    @Test
    void environmentVariableOverridesTheUnitProperty() {
        assertThat(MigrateOnDeployment.enabled("true", "false", new Properties())).isFalse();
        assertThat(MigrateOnDeployment.enabled("false", "TRUE", new Properties())).isTrue();
    }

    @Test
    void systemPropertyOverridesTheEnvironmentVariable() {
        Properties system = new Properties();
        system.setProperty(MigrateOnDeployment.PROPERTY, "false");
        assertThat(MigrateOnDeployment.enabled("true", "true", system)).isFalse();
    }

    @Test
    void aValueOtherThanTrueOrFalseIsRejectedNamingTheSetting() {
        assertThatThrownBy(() -> MigrateOnDeployment.enabled("true", "no", new Properties()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(MigrateOnDeployment.ENV).hasMessageNotContaining("'no'");
    }
}
