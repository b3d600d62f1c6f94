package org.polaris.workbench.engine.telemetry;

/** What a sample can hold; a device reports the subset it has, the rest is "not available" (NaN). */
public enum Metric {
    BUSY_PCT("busy %"), MEM_BUSY_PCT("memory busy %"), VRAM_USED_MB("VRAM used MB"), VRAM_TOTAL_MB("VRAM total MB"),
    GTT_USED_MB("GTT used MB"), GTT_TOTAL_MB("GTT total MB"), TEMP_C("temperature C"), POWER_W("power W"),
    FAN_RPM("fan RPM"), SCLK_MHZ("shader clock MHz"), MCLK_MHZ("memory clock MHz"), VOLTAGE_MV("voltage mV"),
    SCLK_LEVEL("shader DPM level"), MCLK_LEVEL("memory DPM level"), CPU_PCT("CPU %"), PROCESS_RSS_MB("process memory MB");

    private final String label;

    Metric(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Column name in CSV exports. */
    public String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
