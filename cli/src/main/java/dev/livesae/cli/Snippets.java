package dev.livesae.cli;

import java.util.List;

/** Renders WordPiece tokens as readable text with one token marked: "the [[vote]] on the". */
final class Snippets {
    private Snippets() {}

    /**
     * @param tokens WordPiece strings ("##" marks a continuation); [CLS]/[SEP]/[PAD] are left out unless marked
     * @param focus  index of the token to mark
     */
    static String render(List<String> tokens, int focus) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            boolean special = t.startsWith("[") && t.endsWith("]") && t.length() <= 7;
            if (special && i != focus) {
                continue;
            }
            boolean continuation = t.startsWith("##");
            String text = continuation ? t.substring(2) : t;
            if (!continuation && sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(i == focus ? "[[" + text + "]]" : text);
        }
        return sb.toString();
    }
}
