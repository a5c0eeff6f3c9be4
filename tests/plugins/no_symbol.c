/*
 * no_symbol.c - a shared object that is not a gloss plugin: it exports no
 * descriptor. The loader must say which symbol it looked for.
 */
int gloss_test_not_a_plugin(int x);
int gloss_test_not_a_plugin(int x) { return x + 1; }
