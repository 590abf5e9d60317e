//! What a newcomer reads before running anything: the license files that `Cargo.toml`
//! names, and a README that says what `--help` says.

mod common;

use common::*;

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file))
        .unwrap_or_else(|e| panic!("{file} cannot be read: {e}"))
}

#[test]
fn the_license_files_match_the_declared_license() {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let declared = manifest["package"]["license"].as_str().unwrap();
    assert_eq!(declared, "MIT OR Apache-2.0");
    let mit = read("LICENSE-MIT");
    assert!(mit.starts_with("MIT License"), "{mit}");
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = read("LICENSE-APACHE");
    assert!(apache.contains("Apache License\n"), "not the Apache text");
    assert!(apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
    let readme = read("README.md");
    assert!(
        readme.contains("LICENSE-MIT") && readme.contains("LICENSE-APACHE"),
        "the README names both license files"
    );
}
