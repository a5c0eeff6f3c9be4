/*
 * eval_tagger.h - `gloss eval pos` and `gloss eval ner` (eval_tagger.c).
 */
#ifndef GLOSS_EVAL_TAGGER_H
#define GLOSS_EVAL_TAGGER_H

int gloss__eval_pos(int argc, char **argv);
int gloss__eval_ner(int argc, char **argv);

#endif
