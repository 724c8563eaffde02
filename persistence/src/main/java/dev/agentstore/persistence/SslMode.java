package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/** PostgreSQL's {@code sslmode} values accepted by agentstore, passed to the JDBC driver as is. */
public enum SslMode {
    /** No TLS. */
    DISABLE,
    /** TLS, without verifying the server certificate. */
    REQUIRE,
    /** TLS, verifying that the server certificate is signed by a trusted CA. */
    VERIFY_CA,
    /** TLS, verifying the CA and that the certificate matches the host name. */
    VERIFY_FULL;

    /** @return the value as PostgreSQL spells it, for example {@code verify-full} */
    public String value() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * @param setting the setting's name, for the message
     * @param value   {@code disable}, {@code require}, {@code verify-ca} or {@code verify-full} (case-insensitive)
     * @return the mode
     * @throws InvalidInputException for any other value
     */
    public static SslMode parse(String setting, String value) {
        for (SslMode mode : values()) {
            if (mode.value().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return mode;
            }
        }
        throw new InvalidInputException(setting + " must be one of disable, require, verify-ca, verify-full; was '"
                + value + "'");
    }
}
