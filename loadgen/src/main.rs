fn main() {
    eprintln!("loadgen: not built yet (issue 5)");
    std::process::exit(2);
}
