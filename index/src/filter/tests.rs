mod eval;
mod library;
mod parse;
mod props;
