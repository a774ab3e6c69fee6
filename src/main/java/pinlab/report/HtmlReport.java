package pinlab.report;

/** The self-contained HTML report of a matrix (placeholder until the full report lands). */
public final class HtmlReport {
    private HtmlReport() {}

    /** Renders the matrix as one HTML file. */
    public static String render(Matrix m) {
        return "<!doctype html><html><body><pre>" + MatrixReport.text(m).replace("&", "&amp;").replace("<", "&lt;")
                + "</pre></body></html>\n";
    }
}
