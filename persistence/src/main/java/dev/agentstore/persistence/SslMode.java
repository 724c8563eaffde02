package dev.agentstore.persistence;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * PostgreSQL's {@code sslmode} values, passed to the JDBC driver (pgjdbc) as they are. Only {@link #VERIFY_FULL}
 * protects against a server impersonated on the network; {@link #VERIFY_CA} checks the CA but not the host name;
 * {@link #REQUIRE} encrypts without checking who answers; {@link #PREFER} and {@link #ALLOW} fall back to plain
 * text.
 */
public enum SslMode {
    /** No TLS. */
    DISABLE,
    /** Plain text, TLS only when the server insists on it. */
    ALLOW,
    /** TLS when the server offers it, otherwise plain text; pgjdbc's default. */
    PREFER,
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

    /** @return whether the server certificate is checked against a trusted CA ({@code verify-ca}, {@code verify-full}) */
    public boolean verifiesCertificate() {
        return this == VERIFY_CA || this == VERIFY_FULL;
    }

    /**
     * @param setting the setting's name, for the message
     * @param value   {@code disable}, {@code allow}, {@code prefer}, {@code require}, {@code verify-ca} or
     *                {@code verify-full} (case-insensitive)
     * @return the mode
     * @throws InvalidInputException for any other value
     */
    public static SslMode parse(String setting, String value) {
        for (SslMode mode : values()) {
            if (mode.value().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return mode;
            }
        }
        throw new InvalidInputException(setting + " must be one of "
                + Arrays.stream(values()).map(SslMode::value).collect(Collectors.joining(", ")) + "; was " + Check.describe(value));
    }
}
