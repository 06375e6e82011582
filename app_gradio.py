"""Web app entry point kept at the project root: ``python app_gradio.py [flags]`` (see ``rag serve --help``).

Usage:
    python app_gradio.py [--corpus DIR] [--data-dir DIR] [--index DIR] [--host 127.0.0.1] [--port 7860]
                         [--model NAME_OR_PATH] [--max-upload-mb 20] [--allow-upload]
"""

from rag.app.server import main

if __name__ == "__main__":
    main()
