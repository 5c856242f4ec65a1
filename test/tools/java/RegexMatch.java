// Whole-name matches as CircleCI's filters read them (java.util.regex, Pattern.matches): one line
// "pattern<TAB>value" in, one line out: 1 (matches), 0 (does not) or E (not a valid pattern).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

public class RegexMatch {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      int tab = line.indexOf('\t');
      try {
        out.append(Pattern.matches(line.substring(0, tab), line.substring(tab + 1)) ? "1" : "0");
      } catch (PatternSyntaxException e) {
        out.append("E");
      }
      out.append('\n');
    }
    System.out.print(out);
  }
}
